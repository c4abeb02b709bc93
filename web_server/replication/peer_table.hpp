// What this server knows of each of its members, the peers it is configured with: whether our
// link to it is up, when it last answered, and the summary it last acknowledged (what it stored
// durably, per origin). Feeds --sync-replicas waits, the tombstone horizon's floors and GET
// /replication. Members come and go (the peers file, re-read on SIGHUP); one that is removed is
// no longer waited for by anything. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "web_server/store/store.hpp"

namespace web::replication {

// "00c0ffee00c0ffee": an origin id as 16 hex digits, as in X-Version.
std::string origin_hex(store::OriginId origin);

class PeerTable {
 public:
  using Clock = std::chrono::steady_clock;
  using PeerId = uint64_t;  // stable while the peer is a member; never reused

  // The first members, with ids 0, 1, ... in order.
  explicit PeerTable(std::vector<std::string> addresses = {});

  PeerId add(std::string address);
  // Forgets the member: nothing waits for it any more. Its origin, when a link to it came up.
  std::optional<store::OriginId> remove(PeerId peer);
  size_t size() const;
  // The members' origins, as learnt when our links to them came up.
  std::set<store::OriginId> member_origins() const;
  std::map<std::string, store::OriginId> origins_by_address() const;

  // Calls about a peer removed meanwhile are ignored.
  void connected(PeerId peer, store::OriginId origin);
  void disconnected(PeerId peer);
  // Replaces what `peer` has acknowledged, and notes that it was heard from now.
  void acknowledged(PeerId peer, const store::Summary& summary);
  store::Summary acknowledged_by(PeerId peer) const;
  size_t connected_count() const;

  // Blocks until at least `needed` peers acknowledged `seq` of `origin` (true) or `deadline`.
  bool wait_acknowledged(store::OriginId origin, uint64_t seq, size_t needed,
                         Clock::time_point deadline) const;

  // Per origin, the lowest seq every configured peer acknowledged (origins some peer lacks are
  // left out); nullopt while any peer has never acknowledged anything.
  std::optional<store::Summary> everyone_has() const;

  // The origins of the peers (as learnt when our links to them came up) and every origin some
  // peer acknowledged having.
  std::set<store::OriginId> known_origins() const;
  // Origins a peer had before its link came up with another one (its data folder was wiped).
  std::set<store::OriginId> replaced_origins() const;
  // The highest seq of `origin` that any peer acknowledged.
  uint64_t highest_acknowledged(store::OriginId origin) const;

  // What GET /replication shows of each member, in the order they were added.
  struct Status {
    std::string address;
    std::optional<store::OriginId> origin;
    bool connected = false;
    std::optional<std::chrono::milliseconds> last_heard_ago;
    store::Summary acknowledged;
  };
  std::vector<Status> status() const;

 private:
  struct Peer {
    std::string address;
    std::optional<store::OriginId> origin;
    bool connected = false;
    std::optional<Clock::time_point> last_heard;
    std::optional<store::Summary> acknowledged;
  };
  size_t count_acknowledged(store::OriginId origin, uint64_t seq) const;  // mutex_ held

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<PeerId, Peer> peers_;
  PeerId next_id_ = 0;
  std::set<store::OriginId> replaced_;
};

}  // namespace web::replication

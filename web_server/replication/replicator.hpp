// Multi-master replication of one server's store to its peers, over plain TCP links
// authenticated with a shared secret. Topology: this server dials every peer in its list and
// pushes its changes (and those it has from others: relaying) on that link; it accepts the
// links its peers dial and applies what they push. See outbound_link.hpp and inbound_link.hpp.
// The peers are the members of the cluster; set_peers() changes them while it runs.
// Implements Quorum for --sync-replicas and GET /replication.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/address.hpp"
#include "common/result.hpp"
#include "common/tcp_server.hpp"
#include "web_server/replication/change_feed.hpp"
#include "web_server/replication/inbound_link.hpp"
#include "web_server/replication/link_timing.hpp"
#include "web_server/replication/outbound_link.hpp"
#include "web_server/replication/peer_table.hpp"
#include "web_server/replication/quorum.hpp"
#include "web_server/replication/stability.hpp"
#include "web_server/store/compactor.hpp"
#include "web_server/store/store.hpp"

namespace web::replication {

struct ReplicatorOptions {
  common::Address listen;          // where peers' links arrive (port 0: any)
  std::vector<std::string> peers;  // their listen addresses, host:port, each once
  std::string secret;
  size_t sync_replicas = 0;  // K: a write waits for K peers' acknowledgement
  common::Millis sync_timeout{5000};
  common::Millis compact_interval{10000};  // how often what is stable is dropped (store/compactor)
  LinkTiming timing;
};

class Replicator final : public Quorum {
 public:
  // Binds the listener and registers with the store (call before the store takes writes);
  // starts no thread. Fails with e.g. "bind 127.0.0.1:7000: Address already in use".
  static common::Result<std::unique_ptr<Replicator>> open(store::Store& store,
                                                          ReplicatorOptions options);
  ~Replicator() override;  // stop()

  common::Address local_address() const;
  // Accepts links, dials every peer, compacts the store periodically. Fails with the
  // pthread_create error of the accepting thread.
  common::Status start();
  void stop();  // idempotent: cuts every link and joins every thread

  // Makes `peers` the members (after start()): dials the added ones; cuts the links to the
  // removed ones, which nothing waits for from then on, and retires their origins (stability.hpp)
  // so that they hold no tombstone back and cannot bring back what those dropped. Refused,
  // changing nothing, when fewer than --sync-replicas would remain. Says what changed:
  // "1 added, 1 removed, 3 kept".
  common::Result<std::string> set_peers(const std::vector<std::string>& peers);

  std::optional<std::string> refuse_write() const override;
  bool await_replicated(const store::Change& change) override;
  std::string status_json() const override;

 private:
  Replicator(store::Store& store, ReplicatorOptions options,
             std::unique_ptr<common::TcpServer> server);
  // What may go from the store now: the superseded changes every server holds, and the
  // tombstones older than the stability horizon (stability.hpp). nullopt until every peer has
  // been heard from.
  std::optional<store::Compaction> proof();
  // Retires the origins of the members removed, of the peers that came back as a new origin,
  // and those a member retired that are no member's; raises each final seq to the highest any
  // member holds or declared, so that all agree on it. Kept in the store, passed on in PROGRESS.
  void settle_retirements(const store::Summary& ours);
  void retire(store::OriginId origin, uint64_t last, std::string_view why);
  void remember_origins();  // of the members, in the store, when new
  void add_member(const std::string& address);     // members_mutex_ held
  void remove_member(const std::string& address);  // members_mutex_ held

  store::Store& store_;
  const ReplicatorOptions options_;
  const InboundContext inbound_;
  // Shared with the store's listener, which may outlive this object.
  const std::shared_ptr<ChangeFeed> feed_ = std::make_shared<ChangeFeed>();
  PeerTable peers_;
  Stability stability_;
  std::unique_ptr<common::TcpServer> server_;
  struct Member {
    PeerTable::PeerId id = 0;
    std::unique_ptr<OutboundLink> link;
  };
  std::mutex members_mutex_;
  std::map<std::string, Member> members_;  // by address; links live here
  std::map<std::string, store::OriginId> remembered_;  // compactor thread only

  std::unique_ptr<store::Compactor> compactor_;
};

}  // namespace web::replication

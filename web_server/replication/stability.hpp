// Causal stability: the tombstone rule of the replicated store. A tombstone may go once no change
// older than it can still arrive at any server; otherwise a write it beat, still on its way (over
// a one-way link, behind a congested one, or made on a server whose clock runs behind), would
// find no tombstone and come back to life there.
//
// Each origin promises, every heartbeat, that it will make no change with hlc <= H after seq S
// (store::Promise). Promises travel on every link and are relayed, like changes. When every
// server (every peer acknowledged it, and we hold it) has origin O's log up to S, every change of
// O older than H is everywhere. The horizon is the largest hlc for which that holds for every
// origin at once: whatever is older is stable, and a tombstone that old can be dropped. A quiet
// origin does not hold the horizon back (its promise keeps rising with its clock); a server that
// is down or cut off does, for as long as it is away, which is the price of never resurrecting.
//
// An origin that writes no more (its server was removed from the peers, or came back as a new
// origin) is retired: each server that retires it takes none of its changes past a final seq F
// and refuses its links. Its promises stop rising, so it would hold the horizon back for ever;
// it stops counting only once every member retired it with the same F (each raises its F to the
// highest it hears, so they agree on the last change that exists anywhere) and every member
// holds its log up to F. Until then a member that still links to it may take more of its
// changes, and its promises hold the horizon as any other origin's do.
// Thread-safe.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "web_server/store/store.hpp"

namespace web::replication {

class Stability {
 public:
  // Promises kept per origin: an origin writing continuously has its newest promise past what
  // everyone acknowledged, so an older one, already covered, is what lets the horizon move.
  static constexpr size_t kKeptPerOrigin = 64;

  void heard(const store::Promise& promise);
  void heard(std::span<const store::Promise> promises);
  // The newest promise of each origin, to pass on in PROGRESS.
  std::vector<store::Promise> latest() const;
  // What the member `declarer` (by origin) retired, from its last PROGRESS.
  void declared(store::OriginId declarer, store::Summary retired);
  // Per origin, the highest final seq any of `members` declared.
  store::Summary highest_declared(const std::set<store::OriginId>& members) const;

  // What the horizon is computed over: `everyone_has` per origin the lowest seq every member and
  // we hold; `origins` every origin known to have written; `members` our peers' origins (all
  // known); `retired` what we retired, each with its final seq.
  struct View {
    const store::Summary& everyone_has;
    const std::set<store::OriginId>& origins;
    const std::set<store::OriginId>& members;
    const store::Summary& retired;
  };
  // The largest hlc such that every origin in view.origins, but those retired by every member
  // alike and held by all up to their final seq, has a promise (seq, hlc' >= it) with seq <=
  // everyone_has[origin] (absent: 0); nullopt when some origin has none. Promises older than the
  // best one usable are dropped on the way.
  std::optional<uint64_t> horizon(const View& view);

 private:
  void add(const store::Promise& promise);                              // mutex_ held
  bool retired_by_all(store::OriginId origin, const View& view) const;  // mutex_ held

  mutable std::mutex mutex_;
  // Per origin, in seq order, each strictly newer (hlc) than the one before.
  std::map<store::OriginId, std::vector<store::Promise>> promises_;
  std::map<store::OriginId, store::Summary> declared_;  // per member
};

}  // namespace web::replication

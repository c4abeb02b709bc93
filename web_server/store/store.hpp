// The embedded key-value store of one web_server: SQLite in WAL mode with synchronous=FULL, so a
// write is on disk before it is acknowledged. Local writes are serialised and get the next
// version from the hybrid clock; remote changes are applied idempotently, last writer wins by
// (hlc, origin). Each key's row is its current change, by (origin, seq) too, so the rows are the
// change log a server streams any peer what it lacks from, for every origin (see schema.cpp).
// Thread-safe: writes are serialised, reads run concurrently (one read connection per thread).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/socket.hpp"
#include "web_server/store/version.hpp"

namespace web::store {

inline constexpr size_t kMaxKeyBytes = 256;
inline constexpr size_t kMaxValueBytes = 1024 * 1024;

// 1 to 256 bytes of [A-Za-z0-9._~:@!$'()*+,;=-] and '/' (no "." or ".." segment, no leading or
// trailing '/', no "//"): safe in a URL path, a log line and a JSON string without escaping.
bool valid_key(std::string_view key);

struct Entry {
  std::string key;
  std::string value;
  Version version;
};

// Highest contiguous sequence number per origin: what a server has of each origin's log.
using Summary = std::map<OriginId, uint64_t>;

// What `summary` says of `origin`: 0 when it names it not.
inline uint64_t seq_of(const Summary& summary, OriginId origin) {
  const auto it = summary.find(origin);
  return it == summary.end() ? 0 : it->second;
}

// A local write as committed.
struct Committed {
  Change change;
  bool replaced = false;  // the key held a live value before (PUT answers 200, else 201)
};

// What Store::compact may drop, as replication has proved it.
struct Compaction {
  // Per origin, a seq that every server holds (every peer acknowledged it, and so did we).
  Summary everyone_has;
  // No change with an hlc <= horizon can still arrive at any server (see Promise in version.hpp):
  // a tombstone that old can go, nothing it beat can come back. 0: nothing proved.
  uint64_t horizon = 0;
};

class Store {
 public:
  struct Options {
    std::string path;  // the SQLite file; its folder is created when missing
    common::Millis max_skew{500};
  };
  // Opens or creates the database. Fails with e.g. "open ./data/s1/store.db: unable to open".
  static common::Result<std::unique_ptr<Store>> open(const Options& options);
  ~Store();

  OriginId id() const;

  // Local writes: durable when they return. A local write's version is above the key's current
  // one even when the clock is behind it (a tombstone from a peer whose clock runs ahead), so a
  // write this server acknowledges is what it returns until a later change to the key. put() of
  // a key whose value is unchanged still writes a new version. remove() of an absent (or already
  // deleted) key writes nothing and returns nullopt.
  common::Result<Committed> put(std::string_view key, std::string_view value);
  common::Result<std::optional<Change>> remove(std::string_view key);

  // Reads. A deleted key reads as absent.
  std::optional<Entry> get(std::string_view key) const;
  // The key's current change as stored: its value, or nullopt for a tombstone, and its version
  // either way; nullopt when the key has no row (never written, or its tombstone was dropped).
  struct Stored {
    std::optional<std::string> value;
    Version version;
  };
  std::optional<Stored> lookup(std::string_view key) const;
  // Live keys starting with `prefix`, in key order, at most `limit`.
  std::vector<Entry> list(std::string_view prefix, size_t limit) const;

  // Replication. apply(): true when the change was new here (false: already had it, by its
  // (origin, seq); nothing written). Observes the change's hlc on the clock. Durable when it
  // returns. apply_all(): the same for a run of changes committed together; how many were new.
  common::Result<bool> apply(const Change& change);
  common::Result<size_t> apply_all(std::span<const Change> changes);
  // A peer's catch-up says it sent every change of `origin` up to `upto` that it still has: the
  // others were superseded, by changes that reach us on their own. From now on those seqs count
  // as held. Durable when it returns.
  common::Status skip(OriginId origin, uint64_t upto);
  Summary summary() const;
  // The change log: the current changes of `origin` (a key's row, value or tombstone) with seq in
  // (after, upto], in seq order, at most `limit`. A superseded change leaves no row: the seqs
  // have gaps, which a catch-up covers with a skip().
  std::vector<Change> changes_between(OriginId origin, uint64_t after, uint64_t upto,
                                      size_t limit) const;
  // This server's promise (version.hpp), taken atomically with the writes it covers.
  Promise promise() const;
  // Origins that write no more (a peer removed, or come back as a new origin), with the last seq
  // taken of each; retire() keeps the highest seq recorded for an origin.
  common::Status retire(OriginId origin, uint64_t last_seq);
  Summary retired() const;
  // The origin last seen at a peer's replication address (nullopt: none yet), kept across
  // restarts, so that a peer removed while it is down still has its origin known.
  common::Status remember_peer(std::string_view address, OriginId origin);
  std::optional<OriginId> peer_origin(std::string_view address) const;
  // Drops the tombstones older than the horizon; how many went.
  common::Result<uint64_t> compact(const Compaction& compaction);

  // A digest of the live contents (keys, values, versions), equal on servers that agree.
  std::string digest() const;

  // Called after each commit of put/remove/apply-that-was-new, on the committing thread, in
  // commit order; keep it short (hand the change to a queue). `won`: the change is now the key's
  // current version (false when a newer write to the key was already there: the change is only
  // kept in the log, for relaying). Set listeners before serving starts.
  using Listener = std::function<void(const Change& change, bool won)>;
  void add_listener(Listener listener);

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace web::store

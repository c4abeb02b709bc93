// The embedded key-value store of one web_server: SQLite in WAL mode with synchronous=FULL, so a
// write is on disk before it is acknowledged. Local writes are serialised and get the next
// version from the hybrid clock; remote changes are applied idempotently, last writer wins by
// (hlc, origin). Every applied change, local or remote, goes to the change log in the same
// transaction as the data, so a server can stream any peer what it lacks, for every origin.
// Thread-safe: writes are serialised, reads run concurrently (one read connection per thread).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
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

  // Local writes: durable when they return. put() of a key whose value is unchanged still writes
  // a new version. remove() of an absent (or already deleted) key writes nothing and returns
  // nullopt.
  common::Result<Change> put(std::string_view key, std::string_view value);
  common::Result<std::optional<Change>> remove(std::string_view key);

  // Reads. A deleted key reads as absent.
  std::optional<Entry> get(std::string_view key) const;
  // Live keys starting with `prefix`, in key order, at most `limit`.
  std::vector<Entry> list(std::string_view prefix, size_t limit) const;

  // Replication. apply(): true when the change was new to the change log (false: already had it;
  // nothing written). Observes the change's hlc on the clock. Durable when it returns.
  common::Result<bool> apply(const Change& change);
  Summary summary() const;
  // Changes of `origin` with seq > after, in seq order, at most `limit`.
  std::vector<Change> changes_after(OriginId origin, uint64_t after, size_t limit) const;
  // Drops tombstones (and their change-log rows' values) whose change every peer has, i.e. whose
  // seq is <= the peers' common summary for its origin.
  void purge_tombstones(const Summary& everyone_has);

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

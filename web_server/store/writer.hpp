// The write side of the store: the one read-write connection and its prepared statements.
// write(), current(), save_*() run inside the caller's transaction(), so that one commit can
// hold a whole batch of writes; compact() and retire() are transactions of their own. The caller
// serialises calls (Store's write mutex).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "common/result.hpp"
#include "web_server/store/sqlite.hpp"
#include "web_server/store/store.hpp"
#include "web_server/store/version.hpp"

namespace web::store {

class Writer {
 public:
  static common::Result<Writer> open(sqlite::Database db);

  // The key's current version and whether it is a tombstone; nullopt when the key has no row.
  struct Current {
    Version version;
    bool deleted = false;
  };
  struct Written {
    bool won = false;                 // the change became the key's current version
    std::optional<Current> previous;  // the key's current version before the change
  };
  // Runs `body` in one transaction (BEGIN IMMEDIATE ... COMMIT, durable when it returns Ok):
  // commits when `body` returns true, rolls back when it returns false or fails.
  common::Status transaction(const std::function<common::Result<bool>()>& body);

  // The change becomes the key's row when its version beats the key's current one; the change it
  // replaces leaves no trace.
  common::Result<Written> write(const Change& change);
  common::Result<std::optional<Current>> current(std::string_view key);
  // The clock's last issued timestamp and this server's last seq: where both resume on restart.
  common::Status save_local(uint64_t issued_hlc, uint64_t own_seq);
  common::Status save_progress(OriginId origin, uint64_t contiguous);

  // One transaction each: see Store::compact and Store::retire.
  common::Result<uint64_t> compact(const Compaction& compaction);
  common::Status retire(OriginId origin, uint64_t last_seq);
  common::Status remember_peer(std::string_view address, OriginId origin);  // one of its own
  common::Result<std::optional<OriginId>> peer_origin(std::string_view address);

  common::Result<Summary> progress();
  common::Result<Summary> retired();

 private:
  explicit Writer(sqlite::Database db) : db_(std::move(db)) {}
  common::Status prepare();
  common::Result<Summary> pairs(sqlite::Statement& statement);

  sqlite::Database db_;
  sqlite::Statement begin_, commit_, rollback_;
  sqlite::Statement current_, upsert_, save_hlc_, save_seq_, save_progress_;
  sqlite::Statement stable_tombstones_, erase_kv_, retire_, all_progress_, all_retired_;
  sqlite::Statement remember_peer_, peer_origin_;
};

}  // namespace web::store

// The write side of the store: the one read-write connection and its prepared statements.
// write(), current() and save_hlc() run inside the caller's transaction(), so that one commit can
// hold a whole batch of writes; purge() is a transaction of its own. The caller serialises calls
// (Store's write mutex).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "common/result.hpp"
#include "web_server/store/sqlite.hpp"
#include "web_server/store/version.hpp"

namespace web::store {

class Writer {
 public:
  static common::Result<Writer> open(sqlite::Database db);

  struct Written {
    bool is_new = false;  // false: (origin, seq) was already in the change log; nothing written
    bool won = false;     // the change became the key's current version
  };
  // Runs `body` in one transaction (BEGIN IMMEDIATE ... COMMIT, durable when it returns Ok):
  // commits when `body` returns true, rolls back when it returns false or fails.
  common::Status transaction(const std::function<common::Result<bool>()>& body);

  // The change-log row, and the kv row when the change's version beats the key's current one.
  common::Result<Written> write(const Change& change);
  // Saves the clock's last issued timestamp, the floor of the clock after a restart.
  common::Status save_hlc(uint64_t issued_hlc);

  // The key's current version and whether it is a tombstone; nullopt when the key has no row.
  struct Current {
    Version version;
    bool deleted = false;
  };
  common::Result<std::optional<Current>> current(std::string_view key);

  // One transaction: NULLs the values of origin's change-log rows with seq in (from, to] that are
  // no longer their key's current version, and deletes origin's tombstones with seq <= to.
  common::Status purge(OriginId origin, uint64_t from, uint64_t to);

  common::Result<uint64_t> max_seq(OriginId origin);
  // Calls `each` for every (origin, seq) in the change log, in (origin, seq) order.
  common::Status for_each_seq(const std::function<void(OriginId, uint64_t)>& each);

 private:
  explicit Writer(sqlite::Database db) : db_(std::move(db)) {}
  common::Status prepare();

  sqlite::Database db_;
  sqlite::Statement begin_, commit_, rollback_;
  sqlite::Statement insert_change_, current_, upsert_, save_hlc_;
  sqlite::Statement purge_values_, purge_tombstones_, max_seq_, all_seqs_;
};

}  // namespace web::store

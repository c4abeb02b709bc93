// The write side of the store: the one read-write connection and its prepared statements.
// write(), current(), skip() and save_hlc() run inside the caller's transaction(), so that one
// commit can hold a whole batch of writes; compact() is a transaction of its own. The caller
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
    uint64_t seq = 0;
    bool deleted = false;
  };
  struct Written {
    bool is_new = false;  // false: (origin, seq) was already in the change log; nothing written
    bool won = false;     // the change became the key's current version
    std::optional<Current> previous;  // the key's current version before the change
  };
  // Runs `body` in one transaction (BEGIN IMMEDIATE ... COMMIT, durable when it returns Ok):
  // commits when `body` returns true, rolls back when it returns false or fails.
  common::Status transaction(const std::function<common::Result<bool>()>& body);

  // The change-log row, and the kv row when the change's version beats the key's current one.
  // The change it supersedes leaves the log at once when it is in the compacted stretch of its
  // origin (every peer has it, and the new change stands for it from now on).
  common::Result<Written> write(const Change& change);
  common::Result<std::optional<Current>> current(std::string_view key);
  // Saves the clock's last issued timestamp, the floor of the clock after a restart.
  common::Status save_hlc(uint64_t issued_hlc);
  // Marks origin's log as held up to `upto`: its rows there may be missing from now on.
  common::Status skip(OriginId origin, uint64_t upto);

  // One transaction: see Store::compact.
  common::Result<CompactionResult> compact(const Compaction& compaction);

  // One transaction: records that `origin` writes no more, its last seq being `last_seq`.
  common::Status retire(OriginId origin, uint64_t last_seq);
  common::Result<Summary> retired();

  // Per origin, the seq up to which its rows may be missing (committed state).
  const Summary& compacted() const { return compacted_; }
  common::Result<uint64_t> max_seq(OriginId origin);
  // Calls `each` for every (origin, seq) in the change log, in (origin, seq) order.
  common::Status for_each_seq(const std::function<void(OriginId, uint64_t)>& each);

 private:
  explicit Writer(sqlite::Database db) : db_(std::move(db)) {}
  common::Status prepare();
  common::Status load_compacted();
  common::Status erase_change(OriginId origin, uint64_t seq);
  common::Result<uint64_t> drop_superseded(OriginId origin, uint64_t from, uint64_t to);
  common::Result<uint64_t> drop_tombstones(uint64_t horizon);

  sqlite::Database db_;
  sqlite::Statement begin_, commit_, rollback_;
  sqlite::Statement insert_change_, current_, upsert_, save_hlc_, set_compacted_;
  sqlite::Statement erase_change_, drop_superseded_, stable_tombstones_, erase_kv_;
  sqlite::Statement max_seq_, all_seqs_, all_compacted_, retire_, all_retired_;
  Summary compacted_;
  Summary pending_compacted_;  // set inside the open transaction; kept only if it commits
};

}  // namespace web::store

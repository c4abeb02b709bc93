#include "web_server/store/writer.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace web::store {

namespace {

uint64_t seq_of(const Summary& summary, OriginId origin) {
  const auto it = summary.find(origin);
  return it == summary.end() ? 0 : it->second;
}

}  // namespace

common::Result<Writer> Writer::open(sqlite::Database db) {
  Writer writer(std::move(db));
  if (auto prepared = writer.prepare(); !prepared) return prepared.error();
  if (auto loaded = writer.load_compacted(); !loaded) return loaded.error();
  return writer;
}

common::Status Writer::prepare() {
  struct Spec {
    sqlite::Statement* statement;
    const char* sql;
  };
  const Spec specs[] = {
      {&begin_, "BEGIN IMMEDIATE"},
      {&commit_, "COMMIT"},
      {&rollback_, "ROLLBACK"},
      {&insert_change_,
       "INSERT OR IGNORE INTO changelog(origin, seq, hlc, key, value) VALUES (?1, ?2, ?3, ?4, ?5)"},
      {&current_, "SELECT hlc, origin, seq, value IS NULL FROM kv WHERE key = ?1"},
      {&upsert_,
       "INSERT INTO kv(key, value, hlc, origin, seq) VALUES (?1, ?2, ?3, ?4, ?5) "
       "ON CONFLICT(key) DO UPDATE SET value = excluded.value, hlc = excluded.hlc, "
       "origin = excluded.origin, seq = excluded.seq"},
      {&save_hlc_, "UPDATE meta SET value = ?1 WHERE name = 'hlc'"},
      {&set_compacted_,
       "INSERT INTO compacted(origin, upto) VALUES (?1, ?2) "
       "ON CONFLICT(origin) DO UPDATE SET upto = MAX(upto, excluded.upto)"},
      {&erase_change_, "DELETE FROM changelog WHERE origin = ?1 AND seq = ?2"},
      {&drop_superseded_,
       "DELETE FROM changelog WHERE origin = ?1 AND seq > ?2 AND seq <= ?3 AND NOT EXISTS "
       "(SELECT 1 FROM kv WHERE kv.key = changelog.key AND kv.origin = changelog.origin "
       "AND kv.seq = changelog.seq)"},
      {&stable_tombstones_, "SELECT key, origin, seq FROM kv WHERE value IS NULL AND hlc <= ?1"},
      {&erase_kv_, "DELETE FROM kv WHERE key = ?1"},
      {&max_seq_, "SELECT MAX(seq) FROM changelog WHERE origin = ?1"},
      {&all_seqs_, "SELECT origin, seq FROM changelog ORDER BY origin, seq"},
      {&all_compacted_, "SELECT origin, upto FROM compacted"},
      {&retire_, "INSERT OR IGNORE INTO retired(origin, seq) VALUES (?1, ?2)"},
      {&all_retired_, "SELECT origin, seq FROM retired"},
  };
  for (const Spec& spec : specs) {
    auto statement = db_.prepare(spec.sql);
    if (!statement) return statement.error();
    *spec.statement = std::move(*statement);
  }
  return common::Ok{};
}

common::Status Writer::load_compacted() {
  sqlite::Run run(all_compacted_);
  for (;;) {
    auto row = run.step();
    if (!row) return row.error();
    if (!*row) return common::Ok{};
    compacted_[run.u64(0)] = run.u64(1);
  }
}

common::Status Writer::transaction(const std::function<common::Result<bool>()>& body) {
  pending_compacted_.clear();
  if (auto begun = sqlite::Run(begin_).run(); !begun) return begun;
  auto keep = body();
  if (keep && *keep) {
    auto committed = sqlite::Run(commit_).run();
    if (committed) {
      for (const auto& [origin, upto] : pending_compacted_) {
        uint64_t& floor = compacted_[origin];
        floor = std::max(floor, upto);
      }
      pending_compacted_.clear();
      return committed;
    }
    keep = committed.error();
  }
  pending_compacted_.clear();
  // After a failed COMMIT SQLite may have rolled back already; then this ROLLBACK fails harmlessly.
  (void)sqlite::Run(rollback_).run();
  if (!keep) return keep.error();
  return common::Ok{};
}

common::Result<Writer::Written> Writer::write(const Change& change) {
  {
    sqlite::Run run(insert_change_);
    run.bind(1, change.origin).bind(2, change.seq).bind(3, change.version.hlc);
    if (auto inserted = run.bind(4, change.key).bind_blob(5, change.value).run(); !inserted) {
      return inserted.error();
    }
  }
  if (db_.changes() == 0) return Written{};
  auto now = current(change.key);
  if (!now) return now.error();
  Written written{true, !*now || change.version > (*now)->version, *now};
  if (!written.won) return written;
  sqlite::Run run(upsert_);
  run.bind(1, change.key).bind_blob(2, change.value).bind(3, change.version.hlc);
  if (auto upserted = run.bind(4, change.origin).bind(5, change.seq).run(); !upserted) {
    return upserted.error();
  }
  const auto& previous = written.previous;
  if (previous && previous->seq <= seq_of(compacted_, previous->version.origin)) {
    if (auto erased = erase_change(previous->version.origin, previous->seq); !erased) {
      return erased.error();
    }
  }
  return written;
}

common::Result<std::optional<Writer::Current>> Writer::current(std::string_view key) {
  sqlite::Run run(current_);
  auto row = run.bind(1, key).step();
  if (!row) return row.error();
  if (!*row) return std::optional<Current>();
  return std::optional<Current>(Current{{run.u64(0), run.u64(1)}, run.u64(2), run.u64(3) != 0});
}

common::Status Writer::save_hlc(uint64_t issued_hlc) {
  return sqlite::Run(save_hlc_).bind(1, issued_hlc).run();
}

common::Status Writer::skip(OriginId origin, uint64_t upto) {
  if (auto set = sqlite::Run(set_compacted_).bind(1, origin).bind(2, upto).run(); !set) return set;
  uint64_t& pending = pending_compacted_[origin];
  pending = std::max(pending, upto);
  return common::Ok{};
}

common::Status Writer::erase_change(OriginId origin, uint64_t seq) {
  return sqlite::Run(erase_change_).bind(1, origin).bind(2, seq).run();
}

common::Result<uint64_t> Writer::drop_superseded(OriginId origin, uint64_t from, uint64_t to) {
  if (auto dropped = sqlite::Run(drop_superseded_).bind(1, origin).bind(2, from).bind(3, to).run();
      !dropped) {
    return dropped.error();
  }
  return static_cast<uint64_t>(db_.changes());
}

// Only tombstones inside their origin's compacted stretch go (the caller's floors, just set):
// a horizon that ran ahead of the floors it was proved with can then drop nothing unsafe.
common::Result<uint64_t> Writer::drop_tombstones(uint64_t horizon) {
  struct Stable {
    std::string key;
    OriginId origin;
    uint64_t seq;
  };
  std::vector<Stable> stable;
  {
    sqlite::Run run(stable_tombstones_);
    run.bind(1, horizon);
    for (;;) {
      auto row = run.step();
      if (!row) return row.error();
      if (!*row) break;
      Stable tombstone{run.text(0), run.u64(1), run.u64(2)};
      const uint64_t floor = std::max(seq_of(compacted_, tombstone.origin),
                                      seq_of(pending_compacted_, tombstone.origin));
      if (tombstone.seq <= floor) stable.push_back(std::move(tombstone));
    }
  }
  for (const Stable& tombstone : stable) {
    if (auto erased = erase_change(tombstone.origin, tombstone.seq); !erased) return erased.error();
    if (auto erased = sqlite::Run(erase_kv_).bind(1, tombstone.key).run(); !erased) {
      return erased.error();
    }
  }
  return static_cast<uint64_t>(stable.size());
}

common::Result<CompactionResult> Writer::compact(const Compaction& compaction) {
  CompactionResult result;
  auto done = transaction([&]() -> common::Result<bool> {
    for (const auto& [origin, upto] : compaction.everyone_has) {
      const uint64_t from = seq_of(compacted_, origin);
      if (upto <= from) continue;
      auto dropped = drop_superseded(origin, from, upto);
      if (!dropped) return dropped.error();
      result.superseded += *dropped;
      if (auto set = skip(origin, upto); !set) return set.error();
    }
    if (compaction.horizon > 0) {
      auto dropped = drop_tombstones(compaction.horizon);
      if (!dropped) return dropped.error();
      result.tombstones = *dropped;
    }
    return true;
  });
  if (!done) return done.error();
  return result;
}

common::Status Writer::retire(OriginId origin, uint64_t last_seq) {
  return transaction([&]() -> common::Result<bool> {
    if (auto done = sqlite::Run(retire_).bind(1, origin).bind(2, last_seq).run(); !done) {
      return done.error();
    }
    return true;
  });
}

common::Result<Summary> Writer::retired() {
  Summary retired;
  sqlite::Run run(all_retired_);
  for (;;) {
    auto row = run.step();
    if (!row) return row.error();
    if (!*row) return retired;
    retired[run.u64(0)] = run.u64(1);
  }
}

common::Result<uint64_t> Writer::max_seq(OriginId origin) {
  sqlite::Run run(max_seq_);
  auto row = run.bind(1, origin).step();
  if (!row) return row.error();
  const uint64_t in_log = *row && !run.is_null(0) ? run.u64(0) : 0;
  return std::max(in_log, seq_of(compacted_, origin));
}

common::Status Writer::for_each_seq(const std::function<void(OriginId, uint64_t)>& each) {
  sqlite::Run run(all_seqs_);
  for (;;) {
    auto row = run.step();
    if (!row) return row.error();
    if (!*row) return common::Ok{};
    each(run.u64(0), run.u64(1));
  }
}

}  // namespace web::store

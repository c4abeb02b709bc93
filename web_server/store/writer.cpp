#include "web_server/store/writer.hpp"

#include <utility>

namespace web::store {

common::Result<Writer> Writer::open(sqlite::Database db) {
  Writer writer(std::move(db));
  if (auto prepared = writer.prepare(); !prepared) return prepared.error();
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
      {&current_, "SELECT hlc, origin, value IS NULL FROM kv WHERE key = ?1"},
      {&upsert_,
       "INSERT INTO kv(key, value, hlc, origin, seq) VALUES (?1, ?2, ?3, ?4, ?5) "
       "ON CONFLICT(key) DO UPDATE SET value = excluded.value, hlc = excluded.hlc, "
       "origin = excluded.origin, seq = excluded.seq"},
      {&save_hlc_, "UPDATE meta SET value = ?1 WHERE name = 'hlc'"},
      {&purge_values_,
       "UPDATE changelog SET value = NULL WHERE origin = ?1 AND seq > ?2 AND seq <= ?3 "
       "AND value IS NOT NULL AND NOT EXISTS (SELECT 1 FROM kv WHERE kv.key = changelog.key "
       "AND kv.origin = changelog.origin AND kv.seq = changelog.seq)"},
      {&purge_tombstones_, "DELETE FROM kv WHERE value IS NULL AND origin = ?1 AND seq <= ?2"},
      {&max_seq_, "SELECT MAX(seq) FROM changelog WHERE origin = ?1"},
      {&all_seqs_, "SELECT origin, seq FROM changelog ORDER BY origin, seq"},
  };
  for (const Spec& spec : specs) {
    auto statement = db_.prepare(spec.sql);
    if (!statement) return statement.error();
    *spec.statement = std::move(*statement);
  }
  return common::Ok{};
}

common::Status Writer::transaction(const std::function<common::Result<bool>()>& body) {
  if (auto begun = sqlite::Run(begin_).run(); !begun) return begun;
  auto keep = body();
  if (keep && *keep) {
    auto committed = sqlite::Run(commit_).run();
    if (committed) return committed;
    keep = committed.error();
  }
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
  const bool won = !*now || change.version > (*now)->version;
  if (won) {
    sqlite::Run run(upsert_);
    run.bind(1, change.key).bind_blob(2, change.value).bind(3, change.version.hlc);
    if (auto upserted = run.bind(4, change.origin).bind(5, change.seq).run(); !upserted) {
      return upserted.error();
    }
  }
  return Written{true, won};
}

common::Status Writer::save_hlc(uint64_t issued_hlc) {
  return sqlite::Run(save_hlc_).bind(1, issued_hlc).run();
}

common::Result<std::optional<Writer::Current>> Writer::current(std::string_view key) {
  sqlite::Run run(current_);
  auto row = run.bind(1, key).step();
  if (!row) return row.error();
  if (!*row) return std::optional<Current>();
  return std::optional<Current>(Current{{run.u64(0), run.u64(1)}, run.u64(2) != 0});
}

common::Status Writer::purge(OriginId origin, uint64_t from, uint64_t to) {
  return transaction([&]() -> common::Result<bool> {
    if (from < to) {
      sqlite::Run run(purge_values_);
      if (auto nulled = run.bind(1, origin).bind(2, from).bind(3, to).run(); !nulled) {
        return nulled.error();
      }
    }
    sqlite::Run run(purge_tombstones_);
    if (auto deleted = run.bind(1, origin).bind(2, to).run(); !deleted) return deleted.error();
    return true;
  });
}

common::Result<uint64_t> Writer::max_seq(OriginId origin) {
  sqlite::Run run(max_seq_);
  auto row = run.bind(1, origin).step();
  if (!row) return row.error();
  return *row && !run.is_null(0) ? run.u64(0) : 0;
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

#include "web_server/store/writer.hpp"

#include <string>
#include <utility>
#include <vector>

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
      {&current_, "SELECT hlc, origin, value IS NULL FROM kv WHERE key = ?1"},
      {&upsert_,
       "INSERT INTO kv(key, value, hlc, origin, seq) VALUES (?1, ?2, ?3, ?4, ?5) "
       "ON CONFLICT(key) DO UPDATE SET value = excluded.value, hlc = excluded.hlc, "
       "origin = excluded.origin, seq = excluded.seq"},
      {&save_hlc_, "UPDATE meta SET value = ?1 WHERE name = 'hlc'"},
      {&save_seq_, "UPDATE meta SET value = ?1 WHERE name = 'seq'"},
      {&save_progress_,
       "INSERT INTO progress(origin, contiguous) VALUES (?1, ?2) "
       "ON CONFLICT(origin) DO UPDATE SET contiguous = MAX(contiguous, excluded.contiguous)"},
      {&stable_tombstones_, "SELECT key, origin, seq FROM kv WHERE value IS NULL AND hlc <= ?1"},
      {&erase_kv_, "DELETE FROM kv WHERE key = ?1"},
      {&retire_,
       "INSERT INTO retired(origin, seq) VALUES (?1, ?2) "
       "ON CONFLICT(origin) DO UPDATE SET seq = max(seq, excluded.seq)"},
      {&all_progress_, "SELECT origin, contiguous FROM progress"},
      {&all_retired_, "SELECT origin, seq FROM retired"},
      {&remember_peer_,
       "INSERT INTO peer_origins(address, origin) VALUES (?1, ?2) "
       "ON CONFLICT(address) DO UPDATE SET origin = excluded.origin"},
      {&peer_origin_, "SELECT origin FROM peer_origins WHERE address = ?1"},
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
  auto now = current(change.key);
  if (!now) return now.error();
  Written written{!*now || change.version > (*now)->version, *now};
  if (!written.won) return written;
  sqlite::Run run(upsert_);
  run.bind(1, change.key).bind_blob(2, change.value).bind(3, change.version.hlc);
  if (auto upserted = run.bind(4, change.origin).bind(5, change.seq).run(); !upserted) {
    return upserted.error();
  }
  return written;
}

common::Result<std::optional<Writer::Current>> Writer::current(std::string_view key) {
  sqlite::Run run(current_);
  auto row = run.bind(1, key).step();
  if (!row) return row.error();
  if (!*row) return std::optional<Current>();
  return std::optional<Current>(Current{{run.u64(0), run.u64(1)}, run.u64(2) != 0});
}

common::Status Writer::save_local(uint64_t issued_hlc, uint64_t own_seq) {
  if (auto saved = sqlite::Run(save_hlc_).bind(1, issued_hlc).run(); !saved) return saved;
  return sqlite::Run(save_seq_).bind(1, own_seq).run();
}

common::Status Writer::save_progress(OriginId origin, uint64_t contiguous) {
  return sqlite::Run(save_progress_).bind(1, origin).bind(2, contiguous).run();
}

// Only tombstones within what everyone holds of their origin go: a horizon that ran ahead of the
// floors it was proved with then drops nothing unsafe.
common::Result<uint64_t> Writer::compact(const Compaction& compaction) {
  struct Stable {
    std::string key;
    OriginId origin;
    uint64_t seq;
  };
  std::vector<Stable> stable;
  auto done = transaction([&]() -> common::Result<bool> {
    {
      sqlite::Run run(stable_tombstones_);
      run.bind(1, compaction.horizon);
      for (;;) {
        auto row = run.step();
        if (!row) return row.error();
        if (!*row) break;
        Stable tombstone{run.text(0), run.u64(1), run.u64(2)};
        if (tombstone.seq <= seq_of(compaction.everyone_has, tombstone.origin)) {
          stable.push_back(std::move(tombstone));
        }
      }
    }
    for (const Stable& tombstone : stable) {
      if (auto erased = sqlite::Run(erase_kv_).bind(1, tombstone.key).run(); !erased) {
        return erased.error();
      }
    }
    return !stable.empty();
  });
  if (!done) return done.error();
  return static_cast<uint64_t>(stable.size());
}

common::Status Writer::retire(OriginId origin, uint64_t last_seq) {
  return transaction([&]() -> common::Result<bool> {
    if (auto done = sqlite::Run(retire_).bind(1, origin).bind(2, last_seq).run(); !done) {
      return done.error();
    }
    return true;
  });
}

common::Status Writer::remember_peer(std::string_view address, OriginId origin) {
  return transaction([&]() -> common::Result<bool> {
    if (auto done = sqlite::Run(remember_peer_).bind(1, address).bind(2, origin).run(); !done) {
      return done.error();
    }
    return true;
  });
}

common::Result<std::optional<OriginId>> Writer::peer_origin(std::string_view address) {
  sqlite::Run run(peer_origin_);
  run.bind(1, address);
  auto row = run.step();
  if (!row) return row.error();
  if (!*row) return std::optional<OriginId>();
  return std::optional<OriginId>(run.u64(0));
}

common::Result<Summary> Writer::pairs(sqlite::Statement& statement) {
  Summary out;
  sqlite::Run run(statement);
  for (;;) {
    auto row = run.step();
    if (!row) return row.error();
    if (!*row) return out;
    out[run.u64(0)] = run.u64(1);
  }
}

common::Result<Summary> Writer::progress() { return pairs(all_progress_); }
common::Result<Summary> Writer::retired() { return pairs(all_retired_); }

}  // namespace web::store

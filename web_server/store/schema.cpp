#include "web_server/store/schema.hpp"

#include <openssl/rand.h>

#include <filesystem>
#include <system_error>

namespace web::store {

namespace {

// kv holds each key's current version, and is the change log too: a superseded change is worth
// nothing to anyone (the change that superseded it reaches every peer on its own), so a server
// keeps, and streams its peers, only each key's current change, by (origin, seq). value NULL is a
// tombstone, kept until nothing older than it can still arrive anywhere (see Store::compact).
// progress holds, per origin, the highest contiguous seq this server holds the effect of (seqs
// that arrived past a gap are not kept: they are sent again, and applying a change twice changes
// nothing). retired lists origins that will write no more (a peer came back with a wiped data
// folder, as a new origin, or was removed from the peers) with the last seq taken of each.
// peer_origins remembers the origin last seen at each peer's address, so that a peer removed
// while it is down, after a restart here, still has its origin retired.
constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS kv(key TEXT PRIMARY KEY, value BLOB, hlc INTEGER NOT NULL, "
    "origin INTEGER NOT NULL, seq INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX IF NOT EXISTS kv_log ON kv(origin, seq);"
    "DROP INDEX IF EXISTS kv_tombstones;"
    "CREATE INDEX IF NOT EXISTS kv_tombstones_by_hlc ON kv(hlc) WHERE value IS NULL;"
    "CREATE TABLE IF NOT EXISTS progress(origin INTEGER PRIMARY KEY, contiguous INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS retired(origin INTEGER PRIMARY KEY, seq INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS peer_origins(address TEXT PRIMARY KEY, origin INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL);";

// A file from before kv was the log kept every change in a table of its own: its seqs give the
// progress (the highest contiguous run per origin) and this server's last seq, then it goes.
constexpr const char* kMigrateChangelog =
    "INSERT OR IGNORE INTO progress(origin, contiguous) "
    "SELECT origin, MAX(seq) FROM ("
    "  SELECT origin, seq, seq - ROW_NUMBER() OVER (PARTITION BY origin ORDER BY seq) AS run "
    "  FROM changelog) WHERE run = 0 GROUP BY origin;"
    "UPDATE meta SET value = (SELECT MAX(seq) FROM changelog "
    "  WHERE origin = (SELECT value FROM meta WHERE name = 'origin')) "
    "  WHERE name = 'seq' AND EXISTS (SELECT 1 FROM changelog);"
    "DROP TABLE changelog;";

common::Status make_folder(const std::string& path) {
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) return common::Ok{};
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) return common::sys_error("create folder " + folder.string(), error.value());
  return common::Ok{};
}

common::Result<OriginId> random_origin() {
  OriginId id = 0;
  while (id == 0) {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&id), sizeof id) != 1) {
      return common::Error{common::Errc::io_error, "RAND_bytes: no randomness for the origin id"};
    }
  }
  return id;
}

// WAL is what lets readers run beside the writer; a file system that refuses it (some network
// file systems) is an error rather than a silent fallback to rollback journaling.
common::Status enable_wal(sqlite::Database& db, const std::string& path) {
  auto pragma = db.prepare("PRAGMA journal_mode = WAL");
  if (!pragma) return pragma.error();
  sqlite::Run run(*pragma);
  auto row = run.step();
  if (!row) return row.error();
  if (!*row || run.text(0) != "wal") {
    return common::Error{common::Errc::io_error, "journal_mode WAL refused (" + path + ")"};
  }
  return common::Ok{};
}

common::Result<uint64_t> query_u64(sqlite::Database& db, const char* sql) {
  auto statement = db.prepare(sql);
  if (!statement) return statement.error();
  sqlite::Run run(*statement);
  auto row = run.step();
  if (!row) return row.error();
  return *row && !run.is_null(0) ? run.u64(0) : 0;
}

common::Status create_schema(sqlite::Database& db) {
  auto id = random_origin();
  if (!id) return id.error();
  if (auto begun = db.exec("BEGIN IMMEDIATE"); !begun) return begun;
  if (auto created = db.exec(kSchema); !created) return created;
  auto insert = db.prepare("INSERT OR IGNORE INTO meta(name, value) VALUES (?1, ?2)");
  if (!insert) return insert.error();
  for (const auto& [name, value] :
       {std::pair<const char*, uint64_t>{"origin", *id}, {"hlc", 0}, {"seq", 0}}) {
    if (auto done = sqlite::Run(*insert).bind(1, std::string_view(name)).bind(2, value).run();
        !done) {
      return done;
    }
  }
  auto old_log = query_u64(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'changelog'");
  if (!old_log) return old_log.error();
  if (*old_log > 0) {
    if (auto migrated = db.exec(kMigrateChangelog); !migrated) return migrated;
  }
  return db.exec("COMMIT");
}

}  // namespace

common::Result<OpenedFile> open_file(const std::string& path) {
  // Connections are opened NOMUTEX and handed between threads: SQLite must be built thread-safe.
  if (sqlite3_threadsafe() == 0) {
    return common::Error{common::Errc::io_error, "open " + path + ": SQLite built single-threaded"};
  }
  if (auto made = make_folder(path); !made) return made.error();
  auto db = sqlite::Database::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!db) return db.error();
  OpenedFile file{std::move(*db)};
  if (auto busy = file.db.exec("PRAGMA busy_timeout = 5000"); !busy) return busy.error();
  if (auto wal = enable_wal(file.db, path); !wal) return wal.error();
  if (auto sync = file.db.exec("PRAGMA synchronous = FULL"); !sync) return sync.error();
  if (auto schema = create_schema(file.db); !schema) {
    (void)file.db.exec("ROLLBACK");
    return schema.error();
  }
  auto id = query_u64(file.db, "SELECT value FROM meta WHERE name = 'origin'");
  auto last = query_u64(file.db, "SELECT value FROM meta WHERE name = 'hlc'");
  auto seq = query_u64(file.db, "SELECT value FROM meta WHERE name = 'seq'");
  auto newest = query_u64(file.db, "SELECT MAX(hlc) FROM kv");
  for (const auto* got : {&id, &last, &seq, &newest}) {
    if (!*got) return got->error();
  }
  if (*id == 0) return common::Error{common::Errc::io_error, "origin id 0 in meta (" + path + ")"};
  file.id = *id;
  file.last_hlc = *last;
  file.own_seq = *seq;
  file.newest_hlc = *newest;
  return file;
}

}  // namespace web::store

// A thin RAII layer over the SQLite C API: a connection that closes itself, prepared statements
// that finalize themselves, and a Run that resets its statement when it goes out of scope, so no
// statement keeps a read snapshot open (in WAL mode that would pin old pages and stale reads).
// Errors name the call, the statement and the file: "sqlite step INSERT INTO kv: disk I/O error
// (./data/s1/store.db)".
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.hpp"

namespace web::store::sqlite {

class Statement {
 public:
  Statement() = default;

 private:
  friend class Database;
  friend class Run;
  struct Finalize {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
  };
  Statement(sqlite3_stmt* stmt, std::string name) : stmt_(stmt), name_(std::move(name)) {}
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
  std::string name_;  // e.g. "INSERT INTO kv", for error messages
};

// One execution of a statement: bind, step through the rows, read columns. Bound text and blobs
// are not copied: they must outlive the Run.
class Run {
 public:
  explicit Run(Statement& statement) : s_(statement) {}
  ~Run();
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  Run& bind(int index, uint64_t value);  // stored as the int64 with the same bits
  Run& bind(int index, std::string_view text);
  Run& bind_blob(int index, const std::optional<std::string>& blob);  // nullopt binds NULL

  common::Result<bool> step();  // true: a row is ready; false: done
  common::Status run();         // steps a statement that returns no rows

  uint64_t u64(int column) const;
  bool is_null(int column) const;
  std::string text(int column) const;  // text or blob bytes

 private:
  sqlite3_stmt* raw() const { return s_.stmt_.get(); }
  Statement& s_;
};

class Database {
 public:
  // flags: SQLITE_OPEN_* (NOMUTEX is added: one thread uses a connection at a time).
  static common::Result<Database> open(const std::string& path, int flags);

  common::Status exec(const char* sql);
  common::Result<Statement> prepare(const char* sql);
  int changes() const { return sqlite3_changes(db_.get()); }

 private:
  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  explicit Database(sqlite3* db) : db_(db) {}
  std::unique_ptr<sqlite3, Close> db_;
};

}  // namespace web::store::sqlite

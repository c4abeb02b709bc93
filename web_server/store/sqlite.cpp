#include "web_server/store/sqlite.hpp"

#include <algorithm>
#include <utility>

namespace web::store::sqlite {

namespace {

// "INSERT INTO kv(key, ...) VALUES ..." -> "INSERT INTO kv":
// the statement's verb and table, short enough for a log line.
std::string name_of(std::string_view sql) {
  size_t end = sql.find('(');
  for (const std::string_view stop : {" WHERE", " SET", " VALUES", " ORDER", " LIMIT"}) {
    end = std::min(end, sql.find(stop));
  }
  std::string_view name = sql.substr(0, end);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  return std::string(name);
}

// "sqlite <what>: <SQLite's message> (<file>)"
common::Error error_of(sqlite3* db, std::string_view what) {
  std::string message = "sqlite ";
  message.append(what).append(": ").append(sqlite3_errmsg(db));
  const char* file = sqlite3_db_filename(db, "main");
  message.append(" (").append(file != nullptr ? file : "?").append(")");
  return common::Error{common::Errc::io_error, std::move(message)};
}

}  // namespace

Run::~Run() {
  sqlite3_reset(raw());
  sqlite3_clear_bindings(raw());
}

Run& Run::bind(int index, uint64_t value) {
  sqlite3_bind_int64(raw(), index, static_cast<sqlite3_int64>(value));
  return *this;
}

Run& Run::bind(int index, std::string_view text) {
  // A null data pointer would bind NULL rather than the empty string.
  const char* data = text.data() != nullptr ? text.data() : "";
  sqlite3_bind_text(raw(), index, data, static_cast<int>(text.size()), SQLITE_STATIC);
  return *this;
}

Run& Run::bind_blob(int index, const std::optional<std::string>& blob) {
  if (!blob) {
    sqlite3_bind_null(raw(), index);
  } else {
    // A zero-length blob must not bind NULL (that would read as a tombstone): zeroblob(0) is an
    // empty, non-NULL blob.
    if (blob->empty()) {
      sqlite3_bind_zeroblob(raw(), index, 0);
    } else {
      sqlite3_bind_blob(raw(), index, blob->data(), static_cast<int>(blob->size()), SQLITE_STATIC);
    }
  }
  return *this;
}

common::Result<bool> Run::step() {
  const int rc = sqlite3_step(raw());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return error_of(sqlite3_db_handle(raw()), "step " + s_.name_);
}

common::Status Run::run() {
  auto stepped = step();
  if (!stepped) return stepped.error();
  return common::Ok{};
}

uint64_t Run::u64(int column) const {
  return static_cast<uint64_t>(sqlite3_column_int64(raw(), column));
}

bool Run::is_null(int column) const { return sqlite3_column_type(raw(), column) == SQLITE_NULL; }

std::string Run::text(int column) const {
  const void* data = sqlite3_column_blob(raw(), column);
  const int size = sqlite3_column_bytes(raw(), column);
  if (data == nullptr || size <= 0) return {};
  return std::string(static_cast<const char*>(data), static_cast<size_t>(size));
}

common::Result<Database> Database::open(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  Database db(raw);  // closes the handle on failure too
  if (rc != SQLITE_OK) {
    const char* why = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return common::Error{common::Errc::io_error, "open " + path + ": " + why};
  }
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

common::Status Database::exec(const char* sql) {
  if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return error_of(db_.get(), "exec " + name_of(sql));
  }
  return common::Ok{};
}

common::Result<Statement> Database::prepare(const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
      SQLITE_OK) {
    return error_of(db_.get(), "prepare " + name_of(sql));
  }
  return Statement(stmt, name_of(sql));
}

}  // namespace web::store::sqlite

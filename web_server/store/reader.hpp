// The read side of the store: read-only connections, each used by one thread at a time, handed
// out by a pool bounded at a few connections (the server runs a thread per connection, and an
// SQLite connection per thread would keep a page cache per thread). In WAL mode readers never
// wait for the writer: each query sees the last commit before it started.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "web_server/store/sqlite.hpp"
#include "web_server/store/store.hpp"

namespace web::store {

class Reader {
 public:
  static common::Result<std::unique_ptr<Reader>> open(const std::string& path);

  common::Result<std::optional<Store::Stored>> lookup(std::string_view key);
  common::Result<std::vector<Entry>> list(std::string_view prefix, size_t limit);
  common::Result<std::vector<Change>> changes_between(OriginId origin, uint64_t after,
                                                      uint64_t upto, size_t limit);
  common::Result<std::string> digest();  // SHA-256 hex of the live rows in key order

 private:
  explicit Reader(sqlite::Database db) : db_(std::move(db)) {}
  common::Status prepare();

  sqlite::Database db_;
  sqlite::Statement get_;
  sqlite::Statement list_;
  sqlite::Statement changes_between_;
  sqlite::Statement live_rows_;
};

class ReaderPool {
 public:
  ReaderPool(std::string path, size_t max_readers) : path_(std::move(path)), max_(max_readers) {}

  // Returns the reader to the pool when destroyed.
  class Lease {
   public:
    Lease(ReaderPool& pool, std::unique_ptr<Reader> reader)
        : pool_(pool), reader_(std::move(reader)) {}
    ~Lease() { pool_.give_back(std::move(reader_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Reader& reader() const { return *reader_; }

   private:
    ReaderPool& pool_;
    std::unique_ptr<Reader> reader_;
  };

  // Waits while all readers are busy; opens a new one while fewer than max_readers exist.
  common::Result<std::unique_ptr<Lease>> acquire();

 private:
  void give_back(std::unique_ptr<Reader> reader);

  const std::string path_;
  const size_t max_;
  std::mutex mutex_;
  std::condition_variable idle_changed_;
  std::vector<std::unique_ptr<Reader>> idle_;
  size_t open_ = 0;  // readers in existence, idle or leased
};

}  // namespace web::store

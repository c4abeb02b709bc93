// Opening the database file for writing: its folder, the pragmas that make a commit durable
// (WAL, synchronous=FULL), the tables (migrating a file from an older layout), and this
// server's identity, clock floor and last seq in meta.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.hpp"
#include "web_server/store/sqlite.hpp"
#include "web_server/store/version.hpp"

namespace web::store {

struct OpenedFile {
  sqlite::Database db;
  OriginId id = 0;          // created at first open, never 0
  uint64_t last_hlc = 0;    // the last timestamp a local write used
  uint64_t own_seq = 0;     // the last seq a local write used
  uint64_t newest_hlc = 0;  // the largest version hlc in kv (may be a peer's)
};

common::Result<OpenedFile> open_file(const std::string& path);

}  // namespace web::store

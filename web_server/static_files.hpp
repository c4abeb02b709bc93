// The web app folder (--static-dir): maps a request path to a regular file inside the folder and
// refuses every path that would leave it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "common/fd.hpp"
#include "common/result.hpp"

namespace web {

// A regular file found under the folder, opened for reading.
struct StaticFile {
  common::Fd fd;
  uint64_t size = 0;
  std::string_view content_type;
};

enum class Lookup { found, not_found, forbidden };

struct FileLookup {
  Lookup outcome = Lookup::not_found;
  StaticFile file;  // when found
};

class StaticFiles {
 public:
  // Opens the folder. Fails naming it: "open ./www: No such file or directory".
  static common::Result<StaticFiles> open(const std::string& root);

  // Finds the file for a request path (no query; still percent-encoded). "/" and paths ending in
  // "/" mean that folder's index.html, as does a path naming a folder. A ".." segment, a NUL, or
  // a file whose real path lies outside the folder (through a symlink) -> forbidden; malformed
  // escapes, hidden names (".git"), missing and non-regular files -> not_found.
  FileLookup find(std::string_view path) const;

  const std::string& root() const { return real_root_; }

 private:
  StaticFiles(common::Fd root, std::string real_root);
  FileLookup open_inside(const std::string& relative, bool folder_index) const;
  bool lies_inside(const common::Fd& file) const;
  common::Fd root_;        // O_PATH descriptor of the folder; lookups are relative to it
  std::string real_root_;  // its canonical path, to check where an opened file really lies
  std::string prefix_;     // real_root_ with a trailing '/'

};

// "text/css; charset=utf-8" for "style.css"; by extension, case-insensitive;
// application/octet-stream when unknown.
std::string_view content_type_for(std::string_view path);

// Decodes %XX escapes; false on a malformed escape. '+' stays '+' (it means space only in forms).
bool percent_decode(std::string_view in, std::string& out);

// Reads up to `capacity` bytes of file at `offset`; 0 means the file ended early.
common::Result<size_t> read_file_at(const common::Fd& file, char* buffer, size_t capacity,
                                    uint64_t offset);

}  // namespace web

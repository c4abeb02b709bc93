// The line-oriented configuration files the executables re-read on SIGHUP (the balancer's
// backends file, web_server's peers file): one entry a line, '#' starts a comment, blank lines
// are skipped.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace common {

struct ConfigLine {
  size_t number = 0;      // 1-based, for "file:3: ..." errors
  std::string_view text;  // without its comment and surrounding spaces; never empty
};

// The entries of `text`, pointing into it.
std::vector<ConfigLine> config_lines(std::string_view text);

// The whole file: "open peers.txt: No such file or directory".
Result<std::string> read_text_file(const std::string& path);

}  // namespace common

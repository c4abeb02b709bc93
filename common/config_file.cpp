#include "common/config_file.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>

namespace common {

namespace {
constexpr std::string_view kSpaces = " \t\r";
}  // namespace

std::vector<ConfigLine> config_lines(std::string_view text) {
  std::vector<ConfigLine> lines;
  size_t number = 0;
  for (size_t start = 0; start < text.size();) {
    const size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    line = line.substr(0, line.find('#'));
    const size_t first = line.find_first_not_of(kSpaces);
    if (first == std::string_view::npos) continue;
    line = line.substr(first, line.find_last_not_of(kSpaces) - first + 1);
    lines.push_back(ConfigLine{number, line});
  }
  return lines;
}

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return sys_error("open " + path, errno);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return sys_error("read " + path, errno);
  return text.str();
}

}  // namespace common

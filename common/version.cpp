#include "common/version.hpp"

namespace common {

std::string version_line(std::string_view program) {
  std::string line(program);
  line += ' ';
  line += version();
  line += " (commit ";
  line += commit();
  line += ')';
  return line;
}

}  // namespace common

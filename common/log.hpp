// One-line logs on stderr: "2026-11-26T15:30:00.123Z <message>", each line written by one
// write() so that lines from different threads never interleave.
#pragma once

#include <sstream>
#include <string_view>
#include <utility>

namespace common {

void log_line(std::string_view message);

// log("backend ", addr, " down: ", reason) — any streamable parts.
template <class... Parts>
void log(Parts&&... parts) {
  std::ostringstream out;
  (out << ... << std::forward<Parts>(parts));
  log_line(out.str());
}

}  // namespace common

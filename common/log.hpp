// One-line logs on stderr: "2026-11-26T15:30:00.123Z <message>", each line written by one
// write() so that lines from different threads never interleave.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
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

// A bound on one kind of line that peers can trigger at will (a refused request): at most
// `per_second` of them each second, so that a flood cannot fill the disk or drown other lines.
// The first line let through after some were held back says how many. Any thread may call.
class LogLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LogLimiter(uint64_t per_second) : per_second_(per_second) {}

  // Whether a line may be written at `now`; if so, `suppressed` is set to the number held back
  // since the last one written.
  bool admit(Clock::time_point now, uint64_t& suppressed);

 private:
  std::mutex mutex_;
  const uint64_t per_second_;
  Clock::time_point window_start_{};
  uint64_t in_window_ = 0;
  uint64_t suppressed_ = 0;
};

// log(...) within `limiter`'s bound, with " ... (suppressed K)" after a line that follows K
// held back.
template <class... Parts>
void log_limited(LogLimiter& limiter, Parts&&... parts) {
  uint64_t suppressed = 0;
  if (!limiter.admit(LogLimiter::Clock::now(), suppressed)) return;
  if (suppressed == 0) return log(std::forward<Parts>(parts)...);
  log(std::forward<Parts>(parts)..., " ... (suppressed ", suppressed, ")");
}

}  // namespace common

#include "common/log.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace common {

namespace {

// "2026-11-26T15:30:00.123Z "
std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  const std::time_t seconds = static_cast<std::time_t>(ms.count() / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[40];
  const size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buffer + n, sizeof buffer - n, ".%03dZ ", static_cast<int>(ms.count() % 1000));
  return buffer;
}

}  // namespace

void log_line(std::string_view message) {
  std::string line = timestamp();
  line.append(message);
  line.push_back('\n');
  // One write() per line keeps lines whole across threads; a short write to stderr (a pipe that
  // is full, a signal) is finished rather than dropped.
  const char* data = line.data();
  size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to report a failing stderr
    data += n;
    left -= static_cast<size_t>(n);
  }
}

bool LogLimiter::admit(Clock::time_point now, uint64_t& suppressed) {
  std::lock_guard lock(mutex_);
  if (now - window_start_ >= std::chrono::seconds(1)) {
    window_start_ = now;
    in_window_ = 0;
  }
  if (in_window_ == per_second_) {
    ++suppressed_;
    return false;
  }
  ++in_window_;
  suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

}  // namespace common

// The access log of the HTTP mode: one line per request, e.g.
//   2026-11-26T15:30:00.123Z 10.0.0.7:51234 GET /index.html 200 127.0.0.1:8081 78 1543 0.412 0
// time (UTC), client, method, target, status, backend ("-" when none answered), bytes received
// from the client, bytes sent to it, duration in milliseconds, and retries. Fields are separated
// by single spaces; none contains one (the parser refuses spaces in methods and targets).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace lb {

struct AccessRecord {
  std::string_view client;  // "10.0.0.7:51234"
  std::string_view method;
  std::string_view target;
  int status = 0;            // the status sent, or 0 when the connection closed without one
  std::string_view backend;  // empty when no backend answered
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  std::chrono::microseconds duration{0};
  int retries = 0;
};

class AccessLog {
 public:
  // Appends to the file at `path`, created if missing; "-" is standard output. Fails with
  // "open access log /var/log/x: Permission denied".
  static common::Result<std::unique_ptr<AccessLog>> open(const std::string& path);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Thread-safe. The line is formatted outside the lock, then written and flushed under it, so
  // that lines from different connections never interleave and each is visible at once (as in
  // nginx's unbuffered access log). A failed write is dropped: the log must not stop traffic.
  void write(const AccessRecord& record);

 private:
  AccessLog(std::FILE* file, bool owned) : file_(file), owned_(owned) {}

  std::mutex mutex_;
  std::FILE* file_;
  const bool owned_;
};

}  // namespace lb

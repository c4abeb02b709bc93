// Error responses the balancer sends itself rather than a backend: 502 (a backend failed before
// its response), 503 (no backend is up), 504 (a backend timed out). Relaxed atomics: recorded
// by connection threads, read by the admin endpoint.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace lb {

class ProxyStats {
 public:
  static constexpr std::array<int, 3> kStatuses{502, 503, 504};

  void record_error(int status);  // statuses other than kStatuses are not counted
  uint64_t errors(int status) const;

 private:
  std::array<std::atomic<uint64_t>, kStatuses.size()> errors_{};
};

}  // namespace lb

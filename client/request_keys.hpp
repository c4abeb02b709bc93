// The `{n}` placeholder of a URL path: every request takes the next number of one counter shared
// by all connections (0, 1, 2, ...; modulo the key space when one is set), so a run spreads over
// many keys instead of hitting one. The request is split around the placeholder once, before the
// run; a request then costs one atomic increment and one copy into the worker's buffer. A URL
// without the placeholder has no RequestKeys at all and its prebuilt bytes are sent as they are.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace client {

inline constexpr std::string_view kKeyPlaceholder = "{n}";

// Whether a URL path (or a request) carries the placeholder in its request line.
bool has_key_placeholder(std::string_view request);

class RequestKeys {
 public:
  // `request`: the complete prebuilt request (build_request). Only its request line is searched,
  // so a body that happens to hold "{n}" is sent as given. Null when the line has no placeholder.
  // key_space 0: the numbers never wrap.
  static std::unique_ptr<RequestKeys> of(std::string_view request, uint64_t key_space);

  // Thread-safe: writes the next request into `out` (its capacity is reused across calls).
  void next(std::string& out) const;
  // The request with `n` in place of every placeholder.
  void render(uint64_t n, std::string& out) const;

 private:
  RequestKeys(std::vector<std::string> pieces, uint64_t key_space);

  std::vector<std::string> pieces_;  // the request split at each placeholder (at least two)
  uint64_t key_space_;
  mutable std::atomic<uint64_t> counter_{0};  // the only state the workers share
};

}  // namespace client

// The --backends flag: "host:port[@weight],..." parsed and resolved once, at start-up.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/address.hpp"
#include "common/result.hpp"

namespace lb {

inline constexpr uint32_t kMaxWeight = 256;

struct BackendSpec {
  std::string name;         // "127.0.0.1:8081" as written (without the weight), for logs
  common::Address address;  // resolved
  uint32_t weight = 1;      // 1..kMaxWeight
};

// One "host:port" or "host:port@weight". Port 0 is refused (it names no server). Errors name the
// bad item, e.g. "127.0.0.1:8081@0: weight must be 1..256".
common::Result<BackendSpec> parse_backend_spec(std::string_view text);

// A comma-separated list of specs; refuses an empty list, empty items and repeated addresses.
common::Result<std::vector<BackendSpec>> parse_backend_list(std::string_view text);

}  // namespace lb

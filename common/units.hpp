// Parsing durations and sizes for command-line flags.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "common/result.hpp"

namespace common {

// "500ms", "2s", "1m", "1h", "250us" (rounded up to a whole millisecond), "0". A bare number
// other than 0 is refused: "-d 10" read as 10 ms surprised people who meant seconds, so the
// error says what was meant: "10: a duration needs a unit, such as 10s".
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

// "512", "16k", "1m", "2g" (powers of 1024; a trailing "b" or "ib" is accepted, any case).
Result<uint64_t> parse_size(std::string_view text);

}  // namespace common

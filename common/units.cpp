#include "common/units.hpp"

#include <cctype>
#include <charconv>
#include <limits>
#include <string>

namespace common {

namespace {

struct Number {
  uint64_t value = 0;
  std::string_view suffix;  // what follows the digits
};

// The leading decimal digits of text; the failures every flag value shares.
Result<Number> leading_number(std::string_view text, std::string_view kind) {
  if (text.empty()) return Error{Errc::invalid_argument, "empty " + std::string(kind)};
  if (text.front() == '-') return invalid_value(text, "must not be negative");
  Number number;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, number.value);
  if (ec == std::errc::result_out_of_range) return invalid_value(text, "number out of range");
  if (ec != std::errc() || ptr == text.data())
    return invalid_value(text, "expected a number first");
  number.suffix = text.substr(static_cast<size_t>(ptr - text.data()));
  return number;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Multiplies, or fails with "out of range" past `max`.
Result<uint64_t> scaled(std::string_view text, uint64_t value, uint64_t factor, uint64_t max) {
  if (value > max / factor) return invalid_value(text, "out of range");
  return value * factor;
}

// Milliseconds per unit; 0 for an unknown unit.
uint64_t duration_factor(std::string_view unit) {
  if (unit == "ms") return 1;
  if (unit == "s") return 1000;
  if (unit == "m") return 60 * 1000;
  if (unit == "h") return 60 * 60 * 1000;
  return 0;
}

// k, m, g with an optional "b" or "ib"; a lone "b" or nothing means bytes. 0 for anything else.
uint64_t size_factor(const std::string& unit) {
  if (unit.empty() || unit == "b") return 1;
  const std::string rest = unit.substr(1);
  if (!rest.empty() && rest != "b" && rest != "ib") return 0;
  switch (unit.front()) {
    case 'k':
      return uint64_t{1} << 10;
    case 'm':
      return uint64_t{1} << 20;
    case 'g':
      return uint64_t{1} << 30;
    default:
      return 0;
  }
}

}  // namespace

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto number = leading_number(text, "duration");
  if (!number) return number.error();
  const std::string_view unit = number->suffix;
  if (unit.empty()) {
    if (number->value == 0) return std::chrono::milliseconds(0);
    return invalid_value(text, "a duration needs a unit, such as " + std::string(text) + "s");
  }
  using Rep = std::chrono::milliseconds::rep;
  if (unit == "us") {
    // Rounded up, so that a small timeout never becomes 0 (which means "no timeout").
    return std::chrono::milliseconds(
        static_cast<Rep>(number->value / 1000 + (number->value % 1000 != 0)));
  }
  const uint64_t factor = duration_factor(unit);
  if (factor == 0) {
    return invalid_value(text, "unknown unit '" + std::string(unit) + "' (use us, ms, s, m or h)");
  }
  auto ms = scaled(text, number->value, factor, std::numeric_limits<Rep>::max());
  if (!ms) return ms.error();
  return std::chrono::milliseconds(static_cast<Rep>(*ms));
}

Result<uint64_t> parse_size(std::string_view text) {
  auto number = leading_number(text, "size");
  if (!number) return number.error();
  const uint64_t factor = size_factor(lower(number->suffix));
  if (factor == 0) {
    return invalid_value(text,
                         "unknown unit '" + std::string(number->suffix) + "' (use k, m or g)");
  }
  return scaled(text, number->value, factor, std::numeric_limits<uint64_t>::max());
}

}  // namespace common

#include "web_server/store/version.hpp"

#include <charconv>
#include <cstdio>

namespace web::store {

std::string to_string(const Version& version) {
  char origin[17];
  std::snprintf(origin, sizeof origin, "%016llx", static_cast<unsigned long long>(version.origin));
  return std::to_string(version.hlc) + "-" + origin;
}

namespace {

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

}  // namespace

// Strict: exactly the form to_string() writes (no sign, no leading zero, no upper-case hex), so
// that a version read from a header compares equal to the one that was sent.
std::optional<Version> parse_version(std::string_view text) {
  const size_t dash = text.find('-');
  if (dash == std::string_view::npos || dash == 0) return std::nullopt;
  const std::string_view hlc = text.substr(0, dash);
  const std::string_view origin = text.substr(dash + 1);
  if (hlc.size() > 1 && hlc[0] == '0') return std::nullopt;
  if (origin.size() != 16) return std::nullopt;
  for (const char c : hlc) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  for (const char c : origin) {
    if (!is_lower_hex(c)) return std::nullopt;
  }
  Version version;
  const auto [hlc_end, hlc_err] = std::from_chars(hlc.data(), hlc.data() + hlc.size(), version.hlc);
  if (hlc_err != std::errc{} || hlc_end != hlc.data() + hlc.size()) return std::nullopt;
  const auto [origin_end, origin_err] =
      std::from_chars(origin.data(), origin.data() + origin.size(), version.origin, 16);
  if (origin_err != std::errc{} || origin_end != origin.data() + origin.size()) return std::nullopt;
  return version;
}

}  // namespace web::store

#include "client/url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace client {

namespace {

// `lower_prefix` is in lower case.
bool starts_with_icase(std::string_view text, std::string_view lower_prefix) {
  return text.size() >= lower_prefix.size() &&
         std::equal(lower_prefix.begin(), lower_prefix.end(), text.begin(), [](char p, char t) {
           return p == std::tolower(static_cast<unsigned char>(t));
         });
}

// Characters that may not appear in a request target as sent on the wire.
bool bad_target_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7f;
}

struct Authority {
  std::string host;
  std::string_view port;  // digits, possibly empty
  bool has_port = false;
};

common::Result<Authority> split_authority(std::string_view text, std::string_view authority) {
  if (authority.find('@') != std::string_view::npos)
    return common::invalid_value(text, "user info is not supported");
  Authority out;
  std::string_view rest;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return common::invalid_value(text, "missing ']' after the IPv6 address");
    out.host = std::string(authority.substr(1, close - 1));
    rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':')
      return common::invalid_value(text, "unexpected text after ']'");
  } else {
    const size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) rest = authority.substr(colon);
  }
  if (out.host.empty()) return common::invalid_value(text, "missing host");
  if (!rest.empty()) {
    out.has_port = true;
    out.port = rest.substr(1);
  }
  return out;
}

common::Result<uint16_t> parse_port(std::string_view text, std::string_view digits) {
  unsigned value = 0;
  const char* end = digits.data() + digits.size();
  const auto [ptr, ec] = std::from_chars(digits.data(), end, value);
  if (digits.empty() || ec != std::errc() || ptr != end)
    return common::invalid_value(text, "port is not a number");
  if (value == 0 || value > 65535)
    return common::invalid_value(text, "port out of range (1-65535)");
  return static_cast<uint16_t>(value);
}

}  // namespace

std::string Url::authority() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != 80) out += ":" + std::to_string(port);
  return out;
}

std::string Url::to_string() const { return "http://" + authority() + target; }

common::Result<Url> parse_url(std::string_view text) {
  std::string_view rest = text;
  if (const size_t scheme = rest.find("://"); scheme != std::string_view::npos) {
    if (!starts_with_icase(rest, "http://"))
      return common::invalid_value(text, "only http:// is supported");
    rest.remove_prefix(scheme + 3);
  }
  rest = rest.substr(0, rest.find('#'));
  const size_t slash = std::min(rest.find('/'), rest.find('?'));
  auto authority = split_authority(text, rest.substr(0, slash));
  if (!authority) return authority.error();
  Url url;
  url.host = std::move(authority->host);
  if (authority->has_port) {
    auto port = parse_port(text, authority->port);
    if (!port) return port.error();
    url.port = *port;
  }
  if (slash != std::string_view::npos) {
    const std::string_view target = rest.substr(slash);
    if (std::any_of(target.begin(), target.end(), bad_target_char)) {
      return common::invalid_value(text, "spaces or control characters in the path");
    }
    url.target = target.front() == '?' ? "/" + std::string(target) : std::string(target);
  }
  return url;
}

}  // namespace client

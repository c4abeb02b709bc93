// The target of a run: "http://host:port/path?query" split into what the client needs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/address.hpp"
#include "common/result.hpp"

namespace client {

struct Url {
  std::string host;  // no brackets: "127.0.0.1", "::1", "localhost"
  uint16_t port = 80;
  std::string target = "/";  // path and query as sent in the request line; never empty

  common::HostPort host_port() const { return {host, port}; }
  // The Host field value: "host" when the port is 80, else "host:port"; IPv6 in brackets.
  std::string authority() const;
  std::string to_string() const;  // "http://" + authority() + target
};

// Accepts "http://" (any case) or no scheme, an IPv4 address, a bracketed IPv6 address or a
// name, an optional port, and an optional path; a "#fragment" is dropped. Errors say what is
// wrong with which part, e.g. "https://x/: only http:// is supported".
common::Result<Url> parse_url(std::string_view text);

}  // namespace client

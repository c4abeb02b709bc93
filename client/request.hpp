// The request every worker sends, built once before the run so the request path only sends
// bytes: no formatting, no allocation.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "client/url.hpp"
#include "common/result.hpp"

namespace client {

struct HeaderLine {
  std::string name;
  std::string value;
};

struct RequestSpec {
  std::string method = "GET";
  Url url;
  std::vector<HeaderLine> headers;  // sent as given, after Host
  std::string body;
  bool keep_alive = true;  // false: "Connection: close" and a new connection each time
};

// "Name: value" as given to --header: the name a token, the value free of CR, LF and NUL.
common::Result<HeaderLine> parse_header_line(std::string_view line);
// A method is a token ("GET", "POST", "PURGE"); errors say why not.
common::Status check_method(std::string_view method);

// Whether spec.headers has a field `name` (case-insensitive).
bool has_header(const RequestSpec& spec, std::string_view name);

// Request line, Host (unless the headers carry one), the headers, Content-Length when there is a
// body or the method usually carries one, Connection: close unless keep-alive, then the body.
std::string build_request(const RequestSpec& spec);

}  // namespace client

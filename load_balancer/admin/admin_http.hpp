// The little HTTP the admin endpoint speaks: one request per connection (Connection: close),
// its head parsed by common::parse_request_head, a small body by Content-Length; responses
// built whole.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/socket.hpp"
#include "common/stream.hpp"

namespace lb {

struct AdminRequest {
  std::string method;
  std::string path;   // percent-decoded, without the query
  std::string query;  // after '?', as sent
  std::string authorization;
  std::string body;
};

struct AdminResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string extra_headers;  // each line ending in CRLF
};

inline constexpr size_t kMaxAdminBody = 64 * 1024;

// Reads one request from `client` within `timeout`. On a request that cannot be served, the
// response to send (400, 408, 413, 431...); nullopt response and nullopt request when the client
// closed first.
struct AdminRead {
  std::optional<AdminRequest> request;
  std::optional<AdminResponse> refusal;
};
AdminRead read_admin_request(common::Stream& client, common::Millis timeout);

// The whole response: status line, Content-Type, Content-Length, Cache-Control: no-store,
// Connection: close, the extra headers, the body.
std::string to_wire(const AdminResponse& response);

// %XX sequences decoded ('+' stays '+'); nullopt for a malformed one.
std::optional<std::string> percent_decode(std::string_view text);
// The decoded value of `key` in a query string "a=1&b=2", if present.
std::optional<std::string> query_value(std::string_view query, std::string_view key);

AdminResponse json_response(int status, const std::string& json_text);
// {"error": message} with `status`.
AdminResponse error_response(int status, std::string_view message);

}  // namespace lb

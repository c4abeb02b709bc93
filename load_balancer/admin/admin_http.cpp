#include "load_balancer/admin/admin_http.hpp"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "common/http_message.hpp"
#include "common/http_parser.hpp"
#include "common/stream.hpp"

namespace lb {

namespace {

AdminRead refuse(int status, std::string_view why) {
  return {std::nullopt, error_response(status, why)};
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

AdminRead read_failure(common::ReadEnd end, std::string_view reason, common::HttpError error) {
  switch (end) {
    case common::ReadEnd::timed_out:
      return refuse(408, "request timed out");
    case common::ReadEnd::invalid:
      return refuse(common::status_for(error), reason);
    case common::ReadEnd::complete:
    case common::ReadEnd::closed:
    case common::ReadEnd::failed:
      break;
  }
  return {};
}

// The request whose head is `head`, with its path and query split out.
AdminRead request_from(const common::RequestHead& head) {
  AdminRequest request;
  request.method = std::string(head.method);
  const std::string_view target = head.target;
  const size_t mark = target.find('?');
  auto path = percent_decode(target.substr(0, mark));
  if (!path) return refuse(400, "malformed percent-encoding in the path");
  request.path = std::move(*path);
  if (mark != std::string_view::npos) request.query = std::string(target.substr(mark + 1));
  request.authorization = std::string(head.headers.get("authorization").value_or(""));
  return {std::move(request), std::nullopt};
}

}  // namespace

AdminRead read_admin_request(common::Stream& client, common::Millis timeout) {
  const auto deadline = common::Clock::now() + timeout;
  common::RequestHead head;
  const common::HeadRead read = client.read_head(head, common::HttpLimits{}, {deadline, {}});
  if (read.end != common::ReadEnd::complete) {
    return read_failure(read.end, read.reason, read.error);
  }
  const common::BodyFraming framing = common::request_body_framing(head);
  if (framing.error != common::HttpError::none) return refuse(400, framing.reason);
  if (framing.kind == common::BodyKind::chunked) return refuse(411, "send a Content-Length");
  if (framing.length > kMaxAdminBody) return refuse(413, "body over 64 KiB");
  AdminRead got = request_from(head);  // copies: reading the body moves the head's bytes
  client.consume(read.size);
  if (!got.request) return got;
  const auto left = std::chrono::ceil<common::Millis>(deadline - common::Clock::now());
  if (left.count() <= 0) return refuse(408, "request timed out");
  std::string& body = got.request->body;
  const common::BodyRead body_read = client.read_body(
      framing, kMaxAdminBody, {.grace = left}, [&body](std::string_view run) { body.append(run); });
  if (body_read.end != common::ReadEnd::complete) {
    return read_failure(body_read.end, body_read.reason, body_read.error);
  }
  return got;
}

std::string to_wire(const AdminResponse& response) {
  std::string out;
  common::append_status_line(out, response.status);
  common::append_header(out, "Content-Type", response.content_type);
  common::append_header(out, "Content-Length", std::to_string(response.body.size()));
  common::append_header(out, "Cache-Control", "no-store");
  common::append_header(out, "Connection", "close");
  out.append(response.extra_headers).append("\r\n").append(response.body);
  return out;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = hex_digit(text[i + 1]);
    const int low = hex_digit(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

std::optional<std::string> query_value(std::string_view query, std::string_view key) {
  for (size_t start = 0; start <= query.size();) {
    const size_t end = std::min(query.find('&', start), query.size());
    const std::string_view pair = query.substr(start, end - start);
    const size_t equals = pair.find('=');
    if (pair.substr(0, equals) == key) {
      return percent_decode(equals == std::string_view::npos ? "" : pair.substr(equals + 1));
    }
    start = end + 1;
  }
  return std::nullopt;
}

AdminResponse json_response(int status, const std::string& json_text) {
  return {status, "application/json", json_text + "\n", {}};
}

AdminResponse error_response(int status, std::string_view message) {
  return json_response(status, nlohmann::json{{"error", message}}.dump());
}

}  // namespace lb

#include "load_balancer/header_rewrite.hpp"

#include <charconv>
#include <initializer_list>

#include "common/http_message.hpp"

namespace lb {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool is_one_of(std::string_view name, std::initializer_list<std::string_view> names) {
  for (const std::string_view candidate : names) {
    if (iequals(name, candidate)) return true;
  }
  return false;
}

// Fields about one connection (RFC 9110 §7.6.1), plus Transfer-Encoding, which the proxy always
// writes itself because it re-frames every body.
bool is_hop_by_hop(std::string_view name) {
  return is_one_of(
      name, {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding"});
}

// The sender listed `name` in Connection: it describes the sender's connection only.
bool named_by_connection(const common::HttpHeaders& headers, std::string_view name) {
  for (const common::Header& field : headers.fields) {
    if (iequals(field.name, "connection") && common::has_token(field.value, name)) return true;
  }
  return false;
}

// Whether a field goes on to the next hop. Upgrade goes on only into a tunnel, even though the
// handshake's Connection names it.
bool forwarded(const common::Header& field, const common::HttpHeaders& all, bool upgrade,
               bool has_connection) {
  if (iequals(field.name, "upgrade")) return upgrade;
  if (is_hop_by_hop(field.name)) return false;
  return !has_connection || !named_by_connection(all, field.name);
}

void append_number(std::string& out, uint64_t n) {
  char buffer[24];
  out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, n).ptr);
}

void append_framing(std::string& out, OutFraming framing, uint64_t length) {
  if (framing == OutFraming::length) {
    out += "Content-Length: ";
    append_number(out, length);
    out += "\r\n";
  } else if (framing == OutFraming::chunked) {
    out += "Transfer-Encoding: chunked\r\n";
  }
}

// Fields the request rewrite writes itself, from the request's own values or the proxy's.
bool rewritten_by_proxy(const common::Header& field) {
  if (iequals(field.name, "expect")) return common::has_token(field.value, "100-continue");
  return is_one_of(field.name, {"host", "content-length", "x-forwarded-for", "x-forwarded-proto",
                                "x-forwarded-host"});
}

// Earlier proxies' X-Forwarded-For values in order, then the client: one field, since many
// applications read only the first.
void append_forwarded_for(std::string& out, const common::HttpHeaders& headers,
                          std::string_view client_ip) {
  out += "X-Forwarded-For: ";
  for (const common::Header& field : headers.fields) {
    if (!iequals(field.name, "x-forwarded-for") || field.value.empty()) continue;
    out += field.value;
    out += ", ";
  }
  out += client_ip;
  out += "\r\n";
}

}  // namespace

void rewrite_request_head(const common::RequestHead& head, const RequestRewrite& how,
                          std::string& out) {
  out.clear();
  out += head.method;
  out += ' ';
  out += head.target;
  out += " HTTP/1.1\r\n";
  // HTTP/1.1 requires Host; an HTTP/1.0 request without one gets the empty value that means
  // "no authority" (RFC 9112 §3.2).
  const auto host = head.headers.get("host");
  common::append_header(out, "Host", host.value_or(""));
  const bool has_connection = head.headers.count("connection") > 0;
  for (const common::Header& field : head.headers.fields) {
    if (rewritten_by_proxy(field)) continue;
    // The client's Upgrade may list more than websocket ("websocket, h2c"): only that one goes on.
    if (!forwarded(field, head.headers, false, has_connection)) continue;
    common::append_header(out, field.name, field.value);
  }
  append_forwarded_for(out, head.headers, how.client_ip);
  common::append_header(out, "X-Forwarded-Proto", "http");
  if (host && !host->empty()) common::append_header(out, "X-Forwarded-Host", *host);
  common::append_header(out, "Via", how.via);
  append_framing(out, how.framing, how.length);
  if (how.upgrade) {
    common::append_header(out, "Upgrade", "websocket");
    common::append_header(out, "Connection", "Upgrade");
  }
  out += "\r\n";
}

void rewrite_response_head(const common::ResponseHead& head, const ResponseRewrite& how,
                           std::string& out) {
  out.clear();
  out += "HTTP/1.1 ";
  append_number(out, static_cast<uint64_t>(head.status));
  out += ' ';
  out += head.reason.empty() ? common::status_text(head.status) : head.reason;
  out += "\r\n";
  const bool upgrade = how.connection == "Upgrade";
  const bool has_connection = head.headers.count("connection") > 0;
  for (const common::Header& field : head.headers.fields) {
    if (iequals(field.name, "content-length") && how.framing != OutFraming::none) continue;
    if (!forwarded(field, head.headers, upgrade, has_connection)) continue;
    common::append_header(out, field.name, field.value);
  }
  common::append_header(out, "Via", how.via);
  append_framing(out, how.framing, how.length);
  if (!how.connection.empty()) common::append_header(out, "Connection", how.connection);
  out += "\r\n";
}

bool is_websocket_upgrade(const common::RequestHead& head) {
  if (head.method != "GET" || head.version_minor != 1) return false;
  bool websocket = false;
  bool connection_upgrade = false;
  for (const common::Header& field : head.headers.fields) {
    if (iequals(field.name, "upgrade")) websocket |= common::has_token(field.value, "websocket");
    if (iequals(field.name, "connection")) {
      connection_upgrade |= common::has_token(field.value, "upgrade");
    }
  }
  return websocket && connection_upgrade;
}

bool switches_to_websocket(const common::ResponseHead& head) {
  const auto upgrade = head.headers.get("upgrade");
  return head.status == 101 && head.headers.count("upgrade") == 1 && iequals(*upgrade, "websocket");
}

}  // namespace lb

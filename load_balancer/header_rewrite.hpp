// The heads the HTTP mode sends on: a request to a backend, a response to a client. A reverse
// proxy drops the hop-by-hop fields of each connection (RFC 9110 §7.6.1), says who it is and
// whom it serves (Via, X-Forwarded-*), and, because it re-frames every body it forwards, writes
// the framing fields itself. Pure functions: no sockets, no clock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/http_parser.hpp"

namespace lb {

// How the proxy delimits a body it sends on.
enum class OutFraming {
  none,     // no body; a response keeps its Content-Length (for HEAD and 304 it describes another
            // message, which the client may rely on)
  length,   // Content-Length: n
  chunked,  // Transfer-Encoding: chunked
  close,    // the body ends when the connection closes (an HTTP/1.0 client, unknown length)
};

struct RequestRewrite {
  std::string_view client_ip;             // appended to X-Forwarded-For
  std::string_view via;                   // our Via entry, e.g. "1.1 load_balancer"
  OutFraming framing = OutFraming::none;  // none, length or chunked
  uint64_t length = 0;                    // for OutFraming::length
  bool upgrade =
      false;  // a WebSocket handshake: "Upgrade: websocket" and "Connection: Upgrade" sent
};

// Replaces `out` (keeping its capacity) with the head to send to a backend:
// "METHOD target HTTP/1.1", Host first (empty for an HTTP/1.0 request without one), the client's
// end-to-end fields in order, X-Forwarded-For (earlier values joined, the client appended),
// X-Forwarded-Proto: http, X-Forwarded-Host, Via, then the framing. Dropped: Connection and every
// field it names, Keep-Alive, Proxy-Connection, TE, Trailer, the client's Upgrade (with
// how.upgrade it is replaced by "Upgrade: websocket" alone), the client's Content-Length and
// Transfer-Encoding, and "Expect: 100-continue" (the proxy answers that itself when it starts
// reading the body).
void rewrite_request_head(const common::RequestHead& head, const RequestRewrite& how,
                          std::string& out);

struct ResponseRewrite {
  std::string_view via;
  OutFraming framing = OutFraming::none;
  uint64_t length = 0;
  // The Connection field to send: "close", "keep-alive" (an HTTP/1.0 client that asked for it),
  // "Upgrade" (a 101 to a WebSocket handshake, which also keeps Upgrade), or empty for none.
  std::string_view connection;
};

// Replaces `out` with the head to send to the client: "HTTP/1.1 status reason", the backend's
// end-to-end fields, Via, the framing and Connection. Dropped as for requests, except that with
// OutFraming::none the backend's Content-Length stays.
void rewrite_response_head(const common::ResponseHead& head, const ResponseRewrite& how,
                           std::string& out);

// A WebSocket handshake (RFC 6455 §4.1): an HTTP/1.1 GET with "Upgrade: websocket" and
// "Connection: upgrade".
bool is_websocket_upgrade(const common::RequestHead& head);

// A backend's 101 switches to WebSocket and nothing else: one Upgrade field, "websocket". A 101
// to any other protocol (h2c) must not open a tunnel, or the requests that follow it on the
// connection would reach the backend unseen by the proxy.
bool switches_to_websocket(const common::ResponseHead& head);

}  // namespace lb

// The client's half of the WebSocket opening handshake (RFC 6455 §4.1): the request it sends and
// the checks on the server's answer. Pure functions; the socket work is the worker's.
#pragma once

#include <random>
#include <string>
#include <string_view>

#include "client/request.hpp"
#include "common/http_parser.hpp"
#include "common/result.hpp"

namespace client {

// A fresh Sec-WebSocket-Key: 16 random bytes in base64 (24 characters). One per connection.
std::string new_websocket_key(std::mt19937_64& random);

// GET spec.url.target with Host (unless spec.headers has one), spec.headers, then Upgrade,
// Connection, Sec-WebSocket-Version: 13 and Sec-WebSocket-Key: key. Method and body are ignored:
// a handshake is always a GET without a body.
std::string build_handshake(const RequestSpec& spec, std::string_view key);

// Whether `head` accepts the handshake sent with `key`: status 101, Upgrade: websocket,
// Connection: Upgrade and Sec-WebSocket-Accept matching the key. The error (Errc::protocol) says
// which check failed, e.g. "handshake: status 404 Not Found (expected 101)".
common::Status check_handshake_response(const common::ResponseHead& head, std::string_view key);

}  // namespace client

// The switch of a request to a WebSocket: the handshake shared by /ws (the echo) and /live (the
// push of store changes), then the connection's thread runs the one or the other until it ends.
#pragma once

#include <cstdint>

#include "common/http_parser.hpp"
#include "common/stream.hpp"
#include "web_server/response_writer.hpp"
#include "web_server/router.hpp"

namespace web {

struct UpgradeRequest {
  const common::RequestHead& head;
  const common::BodyFraming& framing;  // a handshake has no body
  Response::Kind kind;                 // websocket (the echo) or live
  uint64_t max_ws_message;
};

// Answers the handshake (101, or the error that refuses it) and, after a 101, serves the
// WebSocket with the bytes already in `in` (the client's first frames) until it ends. The
// connection is then done.
void upgrade(const UpgradeRequest& request, const Router& router, common::Stream& in,
             ResponseWriter& writer);

}  // namespace web

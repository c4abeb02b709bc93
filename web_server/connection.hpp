// One client connection of web_server: the HTTP/1.1 request loop (keep-alive, pipelining,
// bounded heads and bodies, timeouts) over a common::Stream, request bodies for the KV API; the
// responses are written by ResponseWriter, and /ws and /live switch to a WebSocket (upgrade.hpp).
#pragma once

#include <cstdint>

#include "common/drain.hpp"
#include "common/fd.hpp"
#include "common/http_parser.hpp"
#include "common/socket.hpp"
#include "web_server/router.hpp"

namespace web {

struct ConnectionLimits {
  common::HttpLimits http;
  // Longest wait for a client's next request, and for any later read or write (SO_RCVTIMEO and
  // SO_SNDTIMEO); an idle connection is then closed without a word. 0 = no limit.
  common::Millis idle_timeout{60000};
  // From a request's first byte to its blank line; slower clients get 408 and are closed. A body
  // gets this plus a second per common::kMinBodyRate bytes.
  common::Millis request_timeout{10000};
  uint64_t max_body = 1024 * 1024;        // larger request bodies (chunked too) -> 413 and close
  uint64_t max_ws_message = 1024 * 1024;  // larger WebSocket messages -> close 1009
};

// Serves requests on client until it closes, times out, sends something that forces a close,
// or (once `drain` began) finishes the request in progress; a connection idle between requests
// then ends at once. Runs on the connection's thread; the caller owns and closes the descriptor.
void serve_connection(const common::Fd& client, const Router& router,
                      const ConnectionLimits& limits, common::Drain& drain);

}  // namespace web

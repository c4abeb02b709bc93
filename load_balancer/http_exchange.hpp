// One request of an HTTP session, from its parsed head to the end of its response: the choice of
// backend, the rewritten head, the streamed request body, replays after a backend closed without
// answering, the response streamed back, and the upgrade of a WebSocket handshake to a tunnel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/address.hpp"
#include "common/drain.hpp"
#include "common/fd.hpp"
#include "common/http_parser.hpp"
#include "common/stream.hpp"
#include "common/transport.hpp"
#include "load_balancer/backend.hpp"
#include "load_balancer/backend_pool.hpp"
#include "load_balancer/body_stream.hpp"
#include "load_balancer/http_proxy.hpp"
#include "load_balancer/upstream_pool.hpp"

namespace lb {

// What one client connection keeps from request to request, so that a steady keep-alive
// exchange allocates nothing once the buffers have their size.
struct SessionState {
  SessionState(const common::Fd& client, const common::Address& peer, BackendPool& pool,
               UpstreamPool& upstreams, const HttpProxyOptions& options);

  const common::Fd& client;
  const std::string peer_name;  // "10.0.0.7:51234", for logs
  const std::string client_ip;  // for X-Forwarded-For
  const uint64_t affinity;      // affinity_key(peer), for source balancing
  const std::string via;        // "1.1 <via_name>"
  BackendPool& pool;
  UpstreamPool& upstreams;
  const HttpProxyOptions& options;
  const common::HttpLimits limits;
  common::Drain::Session drain;
  common::PlainSocket client_socket;
  std::optional<common::PlainSocket> upstream_socket;  // the attempt's backend connection
  common::Stream client_in;
  common::Stream upstream_in;
  common::RequestHead request;  // points into client_in until its next read
  common::ResponseHead response;
  std::string method;  // copies of the request line, valid for the whole exchange
  std::string target;
  std::string request_head;   // as rewritten for the backend
  std::string response_head;  // as rewritten for the client
  std::string kept_body;      // the request body as sent, while it may still be replayed
  Tried tried;
  common::BodyReader request_body;
  common::BodyReader response_body;
};

struct ExchangeResult {
  int status = 0;           // sent to the client; 0 when the connection closed without one
  bool keep_alive = false;  // the client connection may carry another request
  std::shared_ptr<const Backend> backend;  // the one whose response was forwarded
  uint64_t bytes_in = 0;                   // from the client: head, body (and tunnel traffic)
  uint64_t bytes_out = 0;                  // to the client
  int retries = 0;
};

// Serves the request parsed into state.request, whose head is the first `head_size` bytes of
// state.client_in and whose body is framed as `framing` (checked by the caller: no error, within
// max_body when its length is known). Every failure is answered or ends in closing: 503 when no
// backend is up, 502 for a backend that fails before its response, 504 when it times out, a 4xx
// for a bad request body; a failure after response bytes went out ends the connection.
ExchangeResult run_exchange(SessionState& state, size_t head_size,
                            const common::BodyFraming& framing);

// Sends `status` with a short body and "Connection: close" (plus `extra_headers`, each line
// ending in CRLF), and logs `why` with the client's address. Then shuts the sending side and
// drops what the client still sends, for up to 2 s, so that the close that follows does not
// reset the response away before the client reads it.
ExchangeResult respond_error(SessionState& state, int status, std::string_view why,
                             std::string_view extra_headers = {});

}  // namespace lb

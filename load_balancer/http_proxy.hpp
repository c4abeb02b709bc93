// One L7 session: an HTTP/1.1 reverse proxy over one client connection. Each request is balanced
// on its own (keep-alive and pipelining on the client side, a pool of idle connections on the
// backend side), its head rewritten, its body streamed both ways, and failures hidden from the
// client where that is safe: a failed connect moves on to the next backend, and an idempotent
// request that a backend closed on without answering is replayed on another. Every exchange
// counts for or against its backend's passive health (Backend::record_traffic).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/address.hpp"
#include "common/drain.hpp"
#include "common/fd.hpp"
#include "common/socket.hpp"
#include "load_balancer/access_log.hpp"
#include "load_balancer/backend_pool.hpp"
#include "load_balancer/proxy_stats.hpp"
#include "load_balancer/upstream_pool.hpp"

namespace lb {

struct HttpProxyOptions {
  common::Millis connect_timeout{1000};
  // A request head must arrive whole within this from its first byte (from the accept for the
  // first request): the slowloris defence, answered with 408. It also bounds each wait for body
  // bytes from the client and each send to it, and the whole body gets this plus a second per
  // common::kMinBodyRate bytes (408 past it).
  common::Millis client_timeout{10000};
  // Between requests of a keep-alive connection; the connection is then closed without a word.
  common::Millis idle_timeout{60000};
  // From the end of the request to the first response byte (504 past it), as much again from
  // that byte to the end of the response head, and each later wait on or send to the backend.
  common::Millis server_timeout{10000};
  // An upgraded (WebSocket) connection ends after this long without a byte either way.
  common::Millis tunnel_timeout{3600000};
  size_t max_header_bytes = 16 * 1024;    // a request or response head; a request over it: 431
  size_t max_headers = 100;               // fields in a head; a request over it: 431
  size_t max_request_line = 8 * 1024;     // longer: 414
  uint64_t max_body = 100 * 1024 * 1024;  // a request body over it: 413 (0 = no limit)
  // Replays of an idempotent request after a backend closed without answering (a stale idle
  // connection costs one more, on a new connection).
  int retries = 2;
  size_t replay_buffer = 64 * 1024;  // a request body up to this is kept so it can be replayed
  std::string via_name = "load_balancer";  // "Via: 1.1 <via_name>"
  AccessLog* access_log = nullptr;         // not owned; nullptr = no access log
  ProxyStats* stats = nullptr;             // not owned; counts the balancer's own 502/503/504
  common::Drain* drain = nullptr;          // not owned; nullptr = sessions never drain
};

// Runs on the client connection's thread until the client closes, an error response or an idle
// timeout ends the connection, or a WebSocket tunnel ends. Never closes `client` (the server owns
// it). `upstreams` holds the idle backend connections shared by all sessions.
void serve_http_session(const common::Fd& client, const common::Address& peer, BackendPool& pool,
                        UpstreamPool& upstreams, const HttpProxyOptions& options);

}  // namespace lb

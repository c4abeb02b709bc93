// One L4 session: the client's bytes go to a backend and the backend's bytes back, unchanged.
#pragma once

#include "common/address.hpp"
#include "common/fd.hpp"
#include "common/socket.hpp"
#include "load_balancer/backend_pool.hpp"

namespace lb {

struct TcpProxyOptions {
  common::Millis connect_timeout{1000};
};

// Runs on the client connection's thread until both directions are closed or either side fails.
// Connects with failover (see lease_upstream); when no backend is up, closes the client
// connection at once and logs why. Never closes `client` (the server owns it).
void serve_tcp_session(const common::Fd& client, const common::Address& peer, BackendPool& pool,
                       const TcpProxyOptions& options);

}  // namespace lb

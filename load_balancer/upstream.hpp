// The backend side of one client connection: choose a backend and connect to it, failing over
// to the next one when a connect fails, so that the client notices nothing.
#pragma once

#include <cstdint>
#include <memory>

#include "common/fd.hpp"
#include "common/result.hpp"
#include "common/socket.hpp"
#include "load_balancer/backend.hpp"
#include "load_balancer/backend_pool.hpp"

namespace lb {

struct Upstream {
  std::shared_ptr<Backend> backend;  // kept alive by the session even if removed meanwhile
  common::Fd fd;                     // connected, blocking, TCP_NODELAY
};

// Picks a backend that is up and not in `tried` (`affinity`: the client's affinity_key(), for
// source balancing), and connects within `connect_timeout`. A backend whose connect fails or
// times out is marked down at once (logged), appended to `tried`, and the next one is picked.
// Fails with Errc::refused when none is left: "no backend is up" or
// "no backend left to try (last: connect 127.0.0.1:8082: Connection refused)".
common::Result<Upstream> connect_upstream(BackendPool& pool, Tried& tried,
                                          common::Millis connect_timeout, uint64_t affinity = 0);

}  // namespace lb

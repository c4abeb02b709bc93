// Idle keep-alive connections to the backends, so that the HTTP mode pays for a connect only when
// no idle connection is left. Thread-safe: every client connection's thread takes and returns
// connections, each backend's idle list under its own lock. The lists are kept by backend name
// (its address as written): a backend removed and added again may reuse what is left.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/fd.hpp"
#include "common/result.hpp"
#include "common/socket.hpp"
#include "load_balancer/backend.hpp"
#include "load_balancer/backend_pool.hpp"
#include "load_balancer/idle_list.hpp"

namespace lb {

class UpstreamPool {
 public:
  struct Options {
    size_t max_idle_per_backend = 64;  // past it, the least recently used connection is closed
    // An idle connection older than this is closed rather than reused: the backend is about to
    // close it (web servers keep idle connections for about a minute), and a request sent just
    // as it does so fails.
    common::Millis max_idle_time{30000};
  };

  explicit UpstreamPool(Options options) : options_(options) {}
  UpstreamPool() : UpstreamPool(Options{}) {}
  UpstreamPool(const UpstreamPool&) = delete;
  UpstreamPool& operator=(const UpstreamPool&) = delete;

  // The most recently returned connection to `backend` that is still usable, or an empty Fd.
  // On the way it closes connections that are stale (the backend closed them or sent bytes
  // nobody asked for) or idle too long; and every idle one when the backend takes no new
  // sessions (down, draining, disabled). For a request that can be replayed, a connection idle
  // for less than a second is handed out unchecked (see upstream_pool.cpp).
  common::Fd take(const Backend& backend, bool replayable = false);
  // Keeps a connection whose exchange completed, for reuse; closes it when the backend takes no
  // new sessions. (One returned just as a backend is removed stays until the next take() for
  // that name, or the pool's end.)
  void put(const Backend& backend, common::Fd fd);
  // Closes every idle connection to `backend` (it went down, or is draining or removed) and
  // forgets its list.
  void clear(const Backend& backend);
  size_t idle_count(const Backend& backend) const;

 private:
  std::shared_ptr<IdleList> list_of(const Backend& backend);  // made on first use

  const Options options_;
  mutable std::mutex mutex_;  // guards lists_, not what the lists hold
  std::map<std::string, std::shared_ptr<IdleList>, std::less<>> lists_;
};

// A connection to a backend for one exchange.
struct Lease {
  std::shared_ptr<Backend> backend;  // kept alive by the lease even if removed meanwhile
  common::Fd fd;                     // blocking, TCP_NODELAY, SO_RCVTIMEO/SO_SNDTIMEO = io_timeout
  bool reused = false;               // from the pool: a failure may be staleness, not the backend
};

struct LeaseOptions {
  common::Millis connect_timeout{1000};
  common::Millis io_timeout{10000};  // set on new connections (pooled ones have it already); 0:
                                     // left alone (TCP mode, whose relay never blocks)
  bool fresh = false;                // skip the pool (a tunnel, or a retry after a stale one)
  bool replayable = false;           // the request can be sent again if the connection was stale
  uint64_t affinity = 0;             // the client's affinity_key(), for source balancing
};

// Picks a backend that is up and not in `tried` (HTTP mode: per request; TCP mode: per client
// connection) and hands out an idle connection to it from `idle` (nullptr: none kept, as in TCP
// mode) or a new one. A backend whose connect fails or times out is marked down at once (logged),
// appended to `tried`, and the next one is picked, so that the client notices nothing. Fails
// with Errc::refused when no backend is left: "no backend is up" or
// "no backend left to try (last: connect 127.0.0.1:8082: Connection refused)".
common::Result<Lease> lease_upstream(BackendPool& pool, UpstreamPool* idle, Tried& tried,
                                     const LeaseOptions& options);

}  // namespace lb

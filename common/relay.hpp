// A two-way byte pump between two connected sockets: the TCP mode of the balancer and the
// tunnel of an upgraded (WebSocket) connection.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/fd.hpp"
#include "common/result.hpp"
#include "common/socket.hpp"

namespace common {

struct RelayOptions {
  Millis idle_timeout{0};  // end the relay when neither side sent a byte for this long (0 = never)
  // The peers' names for error messages, when the caller knows them; empty: asked of the
  // sockets (getpeername), which costs two calls per relay.
  std::string_view a_name{};
  std::string_view b_name{};
};

struct RelayResult {
  uint64_t a_to_b = 0;  // bytes delivered from a to b
  uint64_t b_to_a = 0;
  // How it ended: ok when both directions were closed in order (each EOF was passed on with
  // shutdown(SHUT_WR)); otherwise the error (reset, timed_out, io_error) of the side that failed.
  Status end = Ok{};
};

// Runs until both directions are done or either side fails; it never closes a or b.
// A side's EOF is propagated with shutdown(SHUT_WR) on the other, so half-closed protocols work.
RelayResult relay(const Fd& a, const Fd& b, const RelayOptions& options = {});

}  // namespace common

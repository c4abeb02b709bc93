// Everything the balancer is told at start-up, parsed and checked (main.cpp builds it from flags).
#pragma once

#include <cstddef>
#include <vector>

#include "common/address.hpp"
#include "common/socket.hpp"
#include "load_balancer/backend_spec.hpp"
#include "load_balancer/health_checker.hpp"
#include "load_balancer/health_state.hpp"

namespace lb {

// What one client connection is: a byte stream relayed as is (tcp).
enum class Mode { tcp };

struct Config {
  common::Address listen;
  std::vector<BackendSpec> backends;  // at least one
  Mode mode = Mode::tcp;
  HealthCheckOptions health;
  Thresholds thresholds;
  common::Millis connect_timeout{1000};
  size_t max_connections = 10000;
  common::Millis drain_timeout{10000};  // how long open connections may finish after SIGTERM
};

}  // namespace lb

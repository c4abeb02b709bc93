// Everything the balancer is told at start-up, parsed and checked (main.cpp builds it from flags).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/address.hpp"
#include "common/socket.hpp"
#include "load_balancer/backend_spec.hpp"
#include "load_balancer/health_checker.hpp"
#include "load_balancer/health_state.hpp"
#include "load_balancer/http_proxy.hpp"
#include "load_balancer/pick_policy.hpp"
#include "load_balancer/upstream_pool.hpp"

namespace lb {

// What one client connection is: a byte stream relayed as is (tcp), or a series of HTTP/1.1
// requests, each balanced on its own (http).
enum class Mode { tcp, http };

struct Config {
  common::Address listen;
  std::vector<BackendSpec> backends;  // --backends and the file's, at least one in all
  std::string backends_file;          // empty = none; re-read on SIGHUP
  std::vector<BackendSpec> file_backends;  // the part of `backends` the file listed
  Mode mode = Mode::http;
  Balance balance = Balance::roundrobin;
  common::Millis slow_start{0};  // a backend back up ramps to its full weight over this; 0 = off
  HealthCheckOptions health;
  Thresholds thresholds;
  common::Millis connect_timeout{1000};
  size_t max_connections = 10000;
  common::Millis drain_timeout{10000};  // how long open connections may finish after SIGTERM
  HttpProxyOptions http;                // HTTP mode only; its connect_timeout is set from above
  UpstreamPool::Options upstream_pool;  // HTTP mode only
  std::string access_log;               // HTTP mode only; empty = off, "-" = stdout
};

}  // namespace lb

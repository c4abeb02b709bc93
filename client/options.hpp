// Everything a run is configured with, as main() parsed it from the command line.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "client/ok_status.hpp"
#include "client/plan.hpp"
#include "client/request.hpp"

namespace client {

struct Options {
  RequestSpec request;     // URL, method, headers, body, keep-alive (WebSocket: URL and headers)
  PlanConfig plan;         // how many, how long, how fast; requests or duration is always set
  size_t concurrency = 1;  // connections, each on its own thread
  uint64_t key_space = 0;  // {n} in the URL counts modulo this; 0: never wraps
  std::chrono::milliseconds timeout{10000};  // connect, and each request from send to response
  OkStatus ok_status;                        // which responses count as succeeded
  bool json = false;         // one JSON object on stdout instead of the human report
  bool histogram = false;    // add the latency distribution
  bool uncorrected = false;  // add the raw service-time view next to the corrected latency
  // WebSocket mode: each connection upgrades once, then a request is one message of
  // message_size bytes and its echo.
  bool websocket = false;
  size_t message_size = 64;
};

}  // namespace client

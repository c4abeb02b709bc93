// A whole load run: one worker thread per connection sharing one plan, then their counts merged.
// The same machinery drives HTTP requests (Worker) and WebSocket messages (WsWorker).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "client/options.hpp"
#include "client/stats.hpp"
#include "common/address.hpp"
#include "common/result.hpp"

namespace client {

// A snapshot of the counted requests so far, for the progress line.
struct Progress {
  uint64_t done = 0;
  uint64_t errors = 0;
  Clock::duration elapsed{};  // since the run started
};
using ProgressCallback = std::function<void(const Progress&)>;

struct RunResult {
  Stats stats;
  double duration_s = 0;  // from the end of the warm-up to the last response
};

// Sends to `address` as `options` say (requests, or with options.websocket messages over upgraded
// connections: see ws_worker.hpp) and returns when every worker thread was joined.
// `on_progress`, if set, is called on the calling thread every `interval` while the run lasts.
// Fails only if the threads could not be started (the ones started are stopped and joined).
common::Result<RunResult> run(const Options& options, const common::Address& address,
                              const ProgressCallback& on_progress = {},
                              std::chrono::milliseconds interval = std::chrono::seconds(1));

}  // namespace client

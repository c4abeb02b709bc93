// One backend server: its address and weight, its health (changed by active checks, by failed
// connects and by failures on live traffic, each change logged once), its weight while it warms
// up after coming back, and counters the pick policies and stats read.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "common/address.hpp"
#include "common/socket.hpp"
#include "load_balancer/backend_spec.hpp"
#include "load_balancer/health_state.hpp"

namespace lb {

// Effective weights count in this many parts of one configured weight unit, so that a slow start
// can ramp even a weight-1 backend in fine steps.
inline constexpr uint32_t kWeightScale = 1000;

class Backend {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts up, at full weight. After each DOWN -> UP, the effective weight ramps over
  // `slow_start` (0: full at once).
  Backend(BackendSpec spec, Thresholds thresholds, common::Millis slow_start = {});
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  const std::string& name() const { return spec_.name; }
  const common::Address& address() const { return spec_.address; }
  uint32_t weight() const { return spec_.weight; }

  // Lock-free, for pick(): the state may change right after; a failed connect then fails over.
  bool is_up() const { return up_.load(std::memory_order_acquire); }

  // Thread-safe. Records one health check: ok, or failed because of `reason` ("connect
  // 127.0.0.1:8082: Connection refused", "GET /health: status 503"). Logs a state change; a
  // change to UP at `now` starts the slow start.
  void record_check(bool ok, std::string_view reason, Clock::time_point now = Clock::now());
  // Thread-safe. A connect for a client failed: down at once, logged with `reason`.
  void mark_down(std::string_view reason);
  // Thread-safe. One exchange on live traffic ended: passive health. A success resets the count
  // of consecutive failures; `fall` consecutive failures take the backend down (logged with the
  // last `reason`). A down backend is brought back by active checks only.
  void record_traffic(bool ok, std::string_view reason);

  // Lock-free, for pick(): weight() * kWeightScale, but during the slow start after a DOWN -> UP
  // a linear ramp from a tenth of that (when it came up) to all of it (slow_start later).
  uint32_t effective_weight(Clock::time_point now) const;

  // One session in flight on this backend, counted from when it is handed to the backend until it
  // ends: a client connection in TCP mode, one request's exchange in HTTP mode (a keep-alive
  // connection is not busy between requests). leastconn and random2 read the count, so create
  // it as soon as the backend is picked.
  class Session {
   public:
    explicit Session(Backend& backend);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

   private:
    Backend& backend_;
  };

  uint64_t active_sessions() const { return active_.load(std::memory_order_relaxed); }
  uint64_t total_sessions() const { return total_.load(std::memory_order_relaxed); }
  uint64_t connect_failures() const { return failures_.load(std::memory_order_relaxed); }

 private:
  const BackendSpec spec_;
  const int fall_;  // consecutive live-traffic failures that take it down
  const Clock::duration slow_start_;
  std::mutex mutex_;  // serialises state_ changes and their log lines
  HealthState state_;
  std::atomic<bool> up_{true};
  std::atomic<int> traffic_failures_{0};  // consecutive, on live traffic
  // When it last came up (Clock's time since epoch); Clock::duration::min() when it never
  // came back, so that it starts at full weight.
  std::atomic<Clock::rep> came_up_{Clock::duration::min().count()};
  std::atomic<uint64_t> active_{0};
  std::atomic<uint64_t> total_{0};
  std::atomic<uint64_t> failures_{0};
};

}  // namespace lb

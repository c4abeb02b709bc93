// One backend server: its address and weight, its health (changed by active checks, by failed
// connects and by failures on live traffic, each change logged once), its administrative state
// (set at run time by the admin endpoint), its weight while it warms up after coming back, the
// counters the pick policies and stats read. Its idle keep-alive connections are the
// UpstreamPool's.
//
// Backends are shared: the pool hands out std::shared_ptr<Backend>, so a backend removed at run
// time stays alive (and its counters valid) while a session still uses it, and is freed when the
// last one ends.
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
#include "load_balancer/backend_stats.hpp"
#include "load_balancer/health_state.hpp"

namespace lb {

// Effective weights count in this many parts of one configured weight unit, so that a slow start
// can ramp even a weight-1 backend in fine steps.
inline constexpr uint32_t kWeightScale = 1000;

// Set by an operator, independent of health: an active backend gets new sessions while it is
// up; a draining or disabled one gets none (sessions in flight finish). Draining is the way out
// (removal, or maintenance that ends with /enable); disabled keeps it off until /enable.
enum class AdminState { active, draining, disabled };
std::string_view to_string(AdminState state);  // "active", "draining", "disabled"

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
  uint32_t weight() const { return weight_.load(std::memory_order_relaxed); }
  // Thread-safe; the pool rebuilds its policy after (BackendPool::set_weight).
  void set_weight(uint32_t weight) { weight_.store(weight, std::memory_order_relaxed); }

  // Lock-free, for pick(): the state may change right after; a failed connect then fails over.
  bool is_up() const { return up_.load(std::memory_order_acquire); }
  AdminState admin_state() const { return admin_.load(std::memory_order_acquire); }
  // Thread-safe; returns the state before. The caller logs the change.
  AdminState set_admin_state(AdminState state);
  // May get a new session: up and active.
  bool takes_new() const { return is_up() && admin_state() == AdminState::active; }
  // "up", "down", "draining" or "disabled": the administrative state when not active, else
  // the health.
  std::string_view state_name() const;
  // When the health or the administrative state last changed (construction counts as one).
  std::chrono::system_clock::time_point last_change() const;

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
  uint64_t connect_failures() const { return failures_.load(std::memory_order_relaxed); }
  // Counters are observations, not state: recording one is allowed through a const backend.
  BackendStats& stats() const { return stats_; }

 private:
  void changed_now();

  const BackendSpec spec_;
  const int fall_;  // consecutive live-traffic failures that take it down
  const Clock::duration slow_start_;
  std::atomic<uint32_t> weight_;
  std::atomic<AdminState> admin_{AdminState::active};
  std::atomic<std::chrono::system_clock::rep> last_change_;
  std::mutex mutex_;  // serialises state_ changes and their log lines
  HealthState state_;
  std::atomic<bool> up_{true};
  std::atomic<int> traffic_failures_{0};  // consecutive, on live traffic
  // When it last came up (Clock's time since epoch); Clock::duration::min() when it never
  // came back, so that it starts at full weight.
  std::atomic<Clock::rep> came_up_{Clock::duration::min().count()};
  std::atomic<uint64_t> active_{0};
  std::atomic<uint64_t> failures_{0};
  mutable BackendStats stats_;
};

}  // namespace lb

// One backend server: its address and weight, its health (changed by checks and by failed
// connects, each change logged once), and counters the pick policies and stats read.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "common/address.hpp"
#include "load_balancer/backend_spec.hpp"
#include "load_balancer/health_state.hpp"

namespace lb {

class Backend {
 public:
  Backend(BackendSpec spec, Thresholds thresholds);
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  const std::string& name() const { return spec_.name; }
  const common::Address& address() const { return spec_.address; }
  uint32_t weight() const { return spec_.weight; }

  // Lock-free, for pick(): the state may change right after; a failed connect then fails over.
  bool is_up() const { return up_.load(std::memory_order_acquire); }

  // Thread-safe. Records one health check: ok, or failed because of `reason` ("connect
  // 127.0.0.1:8082: Connection refused", "GET /health: status 503"). Logs a state change.
  void record_check(bool ok, std::string_view reason);
  // Thread-safe. A connect for a client failed: down at once, logged with `reason`.
  void mark_down(std::string_view reason);

  // One client connection relayed through this backend, counted from connect to close.
  class Session {
   public:
    explicit Session(Backend& backend);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

   private:
    Backend& backend_;
  };

  uint64_t active_connections() const { return active_.load(std::memory_order_relaxed); }
  uint64_t total_connections() const { return total_.load(std::memory_order_relaxed); }
  uint64_t connect_failures() const { return failures_.load(std::memory_order_relaxed); }

 private:
  const BackendSpec spec_;
  std::mutex mutex_;  // serialises state_ changes and their log lines
  HealthState state_;
  std::atomic<bool> up_{true};
  std::atomic<uint64_t> active_{0};
  std::atomic<uint64_t> total_{0};
  std::atomic<uint64_t> failures_{0};
};

}  // namespace lb

// The set of backends and the choice among them. Thread-safe: connection threads pick while
// health-check threads change which backends are up.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "common/socket.hpp"
#include "load_balancer/backend.hpp"
#include "load_balancer/backend_spec.hpp"
#include "load_balancer/health_state.hpp"
#include "load_balancer/pick_policy.hpp"

namespace lb {

// The backends one client connection has tried already, so that failover never repeats one.
using Tried = std::vector<const Backend*>;

class BackendPool {
 public:
  // One backend per spec, all up. Without a policy: smooth weighted round-robin. A backend that
  // comes back up ramps its weight over `slow_start` (0: full weight at once).
  BackendPool(std::vector<BackendSpec> specs, Thresholds thresholds,
              std::unique_ptr<PickPolicy> policy = nullptr, common::Millis slow_start = {});
  BackendPool(const BackendPool&) = delete;
  BackendPool& operator=(const BackendPool&) = delete;

  // A backend that is up and not in `tried`, or nullptr when there is none; the policy sees each
  // candidate's effective weight at `now` and its sessions in flight. `affinity` is the client's
  // affinity_key() (source balancing). The pointer stays valid for the pool's lifetime.
  Backend* pick(const Tried& tried = {}, uint64_t affinity = 0,
                Backend::Clock::time_point now = Backend::Clock::now());

  size_t size() const { return backends_.size(); }
  Backend& at(size_t i) { return *backends_[i]; }
  const Backend& at(size_t i) const { return *backends_[i]; }
  size_t up_count() const;

 private:
  std::vector<std::unique_ptr<Backend>> backends_;  // fixed after construction
  std::mutex mutex_;                                // guards policy_ and candidates_
  std::unique_ptr<PickPolicy> policy_;
  std::vector<Candidate> candidates_;  // scratch space for pick(), kept to avoid allocating
};

}  // namespace lb

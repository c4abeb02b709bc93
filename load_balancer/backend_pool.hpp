// The set of backends and the choice among them. Thread-safe: connection threads pick while
// health-check threads change which backends are up and the admin endpoint (or a reload) adds,
// removes and reweighs backends.
//
// Ownership: the pool holds each backend by std::shared_ptr and pick() hands out another, so a
// backend removed while sessions use it lives until the last of them lets go (then its memory
// and idle connections are freed); no retired list grows over a long run of changes.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/socket.hpp"
#include "load_balancer/backend.hpp"
#include "load_balancer/backend_spec.hpp"
#include "load_balancer/health_state.hpp"
#include "load_balancer/pick_policy.hpp"

namespace lb {

// The backends one client request has tried already, so that failover never repeats one. Held
// by shared_ptr so that a backend removed meanwhile cannot be freed and its address reused by a
// newly added one that would then be skipped by mistake.
using Tried = std::vector<std::shared_ptr<const Backend>>;

class BackendPool {
 public:
  // One backend per spec, all up. Without a policy: smooth weighted round-robin. A backend that
  // comes back up ramps its weight over `slow_start` (0: full weight at once).
  BackendPool(std::vector<BackendSpec> specs, Thresholds thresholds,
              std::unique_ptr<PickPolicy> policy = nullptr, common::Millis slow_start = {});
  BackendPool(const BackendPool&) = delete;
  BackendPool& operator=(const BackendPool&) = delete;

  // A backend that takes new sessions (up and active) and is not in `tried`, or nullptr when
  // there is none; the policy sees each candidate's effective weight at `now` and its sessions
  // in flight. `affinity` is the client's affinity_key() (source balancing).
  std::shared_ptr<Backend> pick(const Tried& tried = {}, uint64_t affinity = 0,
                                Backend::Clock::time_point now = Backend::Clock::now());

  // Adds a backend, up and active. Fails (Errc::invalid_argument) when one with the same
  // address is in the pool: "127.0.0.1:8081: already a backend".
  common::Result<std::shared_ptr<Backend>> add(BackendSpec spec);
  // Takes the backend named `name` (its name or its address) out of the pool: no pick returns
  // it from now on. Returns it, or nullptr when there is none.
  std::shared_ptr<Backend> remove(std::string_view name);
  // Sets a backend's weight and rebuilds the policy (the source ring places points by weight);
  // false when there is no such backend.
  bool set_weight(std::string_view name, uint32_t weight);

  std::shared_ptr<Backend> find(std::string_view name) const;  // by name or address
  std::vector<std::shared_ptr<Backend>> backends() const;      // a snapshot, in pool order
  size_t size() const;
  std::shared_ptr<Backend> at(size_t i) const;  // a snapshot's i-th backend; i < size()
  size_t up_count() const;

 private:
  // Under mutex_: the index of `name` in backends_, or backends_.size().
  size_t index_of(std::string_view name) const;
  void rebuild_policy();  // under mutex_, after any change of the set or a weight

  const Thresholds thresholds_;
  const common::Millis slow_start_;
  mutable std::mutex mutex_;  // guards everything below
  std::vector<std::shared_ptr<Backend>> backends_;
  std::unique_ptr<PickPolicy> policy_;
  std::vector<Candidate> candidates_;  // scratch space for pick(), kept to avoid allocating
};

}  // namespace lb

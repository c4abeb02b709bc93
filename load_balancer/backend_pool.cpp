#include "load_balancer/backend_pool.hpp"

#include <algorithm>

#include "load_balancer/policies/round_robin.hpp"

namespace lb {

BackendPool::BackendPool(std::vector<BackendSpec> specs, Thresholds thresholds,
                         std::unique_ptr<PickPolicy> policy, common::Millis slow_start)
    : policy_(policy ? std::move(policy)
                     : std::make_unique<SmoothWeightedRoundRobin>(specs.size())) {
  for (BackendSpec& spec : specs) {
    backends_.push_back(std::make_unique<Backend>(std::move(spec), thresholds, slow_start));
  }
  candidates_.reserve(backends_.size());
}

Backend* BackendPool::pick(const Tried& tried, uint64_t affinity, Backend::Clock::time_point now) {
  std::lock_guard lock(mutex_);
  candidates_.clear();
  for (size_t i = 0; i < backends_.size(); ++i) {
    const Backend* backend = backends_[i].get();
    if (!backend->is_up()) continue;
    if (std::find(tried.begin(), tried.end(), backend) != tried.end()) continue;
    candidates_.push_back(Candidate{i, backend->effective_weight(now), backend->active_sessions()});
  }
  if (candidates_.empty()) return nullptr;
  return backends_[policy_->choose(candidates_, affinity)].get();
}

size_t BackendPool::up_count() const {
  return static_cast<size_t>(std::count_if(backends_.begin(), backends_.end(),
                                           [](const auto& backend) { return backend->is_up(); }));
}

}  // namespace lb

#include "load_balancer/backend_pool.hpp"

#include <algorithm>

namespace lb {

namespace {

std::vector<uint32_t> weights_of(const std::vector<BackendSpec>& specs) {
  std::vector<uint32_t> weights;
  for (const BackendSpec& spec : specs) weights.push_back(spec.weight);
  return weights;
}

}  // namespace

BackendPool::BackendPool(std::vector<BackendSpec> specs, Thresholds thresholds,
                         std::unique_ptr<PickPolicy> policy)
    : policy_(policy ? std::move(policy)
                     : std::make_unique<SmoothWeightedRoundRobin>(weights_of(specs))) {
  for (BackendSpec& spec : specs) {
    backends_.push_back(std::make_unique<Backend>(std::move(spec), thresholds));
  }
  candidates_.reserve(backends_.size());
}

Backend* BackendPool::pick(const Tried& tried) {
  std::lock_guard lock(mutex_);
  candidates_.clear();
  for (size_t i = 0; i < backends_.size(); ++i) {
    const Backend* backend = backends_[i].get();
    if (!backend->is_up()) continue;
    if (std::find(tried.begin(), tried.end(), backend) != tried.end()) continue;
    candidates_.push_back(i);
  }
  if (candidates_.empty()) return nullptr;
  return backends_[policy_->choose(candidates_)].get();
}

size_t BackendPool::up_count() const {
  return static_cast<size_t>(std::count_if(backends_.begin(), backends_.end(),
                                           [](const auto& backend) { return backend->is_up(); }));
}

}  // namespace lb

#include "load_balancer/backend_pool.hpp"

#include <algorithm>

#include "load_balancer/policies/round_robin.hpp"

namespace lb {

BackendPool::BackendPool(std::vector<BackendSpec> specs, Thresholds thresholds,
                         std::unique_ptr<PickPolicy> policy, common::Millis slow_start)
    : thresholds_(thresholds),
      slow_start_(slow_start),
      policy_(policy ? std::move(policy)
                     : std::make_unique<SmoothWeightedRoundRobin>(specs.size())) {
  for (BackendSpec& spec : specs) {
    backends_.push_back(std::make_shared<Backend>(std::move(spec), thresholds, slow_start));
  }
  candidates_.reserve(backends_.size());
}

std::shared_ptr<Backend> BackendPool::pick(const Tried& tried, uint64_t affinity,
                                           Backend::Clock::time_point now) {
  std::lock_guard lock(mutex_);
  candidates_.clear();
  for (size_t i = 0; i < backends_.size(); ++i) {
    const Backend* backend = backends_[i].get();
    if (!backend->takes_new()) continue;
    const bool was_tried = std::any_of(tried.begin(), tried.end(),
                                       [backend](const auto& t) { return t.get() == backend; });
    if (was_tried) continue;
    candidates_.push_back(Candidate{i, backend->effective_weight(now), backend->active_sessions()});
  }
  if (candidates_.empty()) return nullptr;
  return backends_[policy_->choose(candidates_, affinity)];
}

size_t BackendPool::index_of(std::string_view name) const {
  const auto at = std::find_if(backends_.begin(), backends_.end(), [name](const auto& backend) {
    return backend->name() == name || backend->address().to_string() == name;
  });
  return static_cast<size_t>(at - backends_.begin());
}

void BackendPool::rebuild_policy() {
  std::vector<BackendSpec> specs;
  specs.reserve(backends_.size());
  for (const auto& backend : backends_) {
    specs.push_back(BackendSpec{backend->name(), backend->address(), backend->weight()});
  }
  policy_->rebuild(specs);
  candidates_.reserve(backends_.size());
}

common::Result<std::shared_ptr<Backend>> BackendPool::add(BackendSpec spec) {
  std::lock_guard lock(mutex_);
  if (index_of(spec.address.to_string()) < backends_.size() ||
      index_of(spec.name) < backends_.size()) {
    return common::invalid_value(spec.name, "already a backend");
  }
  auto backend = std::make_shared<Backend>(std::move(spec), thresholds_, slow_start_);
  backends_.push_back(backend);
  rebuild_policy();
  return backend;
}

std::shared_ptr<Backend> BackendPool::remove(std::string_view name) {
  std::lock_guard lock(mutex_);
  const size_t i = index_of(name);
  if (i == backends_.size()) return nullptr;
  std::shared_ptr<Backend> removed = std::move(backends_[i]);
  backends_.erase(backends_.begin() + static_cast<std::ptrdiff_t>(i));
  rebuild_policy();
  return removed;
}

bool BackendPool::set_weight(std::string_view name, uint32_t weight) {
  std::lock_guard lock(mutex_);
  const size_t i = index_of(name);
  if (i == backends_.size()) return false;
  backends_[i]->set_weight(weight);
  rebuild_policy();
  return true;
}

std::shared_ptr<Backend> BackendPool::find(std::string_view name) const {
  std::lock_guard lock(mutex_);
  const size_t i = index_of(name);
  return i < backends_.size() ? backends_[i] : nullptr;
}

std::vector<std::shared_ptr<Backend>> BackendPool::backends() const {
  std::lock_guard lock(mutex_);
  return backends_;
}

size_t BackendPool::size() const {
  std::lock_guard lock(mutex_);
  return backends_.size();
}

std::shared_ptr<Backend> BackendPool::at(size_t i) const {
  std::lock_guard lock(mutex_);
  return backends_.at(i);
}

size_t BackendPool::up_count() const {
  std::lock_guard lock(mutex_);
  return static_cast<size_t>(std::count_if(backends_.begin(), backends_.end(),
                                           [](const auto& backend) { return backend->is_up(); }));
}

}  // namespace lb

#include "load_balancer/pick_policy.hpp"

namespace lb {

SmoothWeightedRoundRobin::SmoothWeightedRoundRobin(std::vector<uint32_t> weights)
    : weights_(weights.begin(), weights.end()), current_(weights.size(), 0) {}

size_t SmoothWeightedRoundRobin::choose(std::span<const size_t> candidates) {
  int64_t total = 0;
  size_t best = candidates.front();
  for (const size_t i : candidates) {
    current_[i] += weights_[i];
    total += weights_[i];
    if (current_[i] > current_[best]) best = i;
  }
  current_[best] -= total;
  return best;
}

}  // namespace lb

#include "load_balancer/policies/round_robin.hpp"

namespace lb {

SmoothWeightedRoundRobin::SmoothWeightedRoundRobin(size_t backends) : current_(backends, 0) {}

size_t SmoothWeightedRoundRobin::choose(std::span<const Candidate> candidates, uint64_t) {
  int64_t total = 0;
  size_t best = candidates.front().index;
  for (const Candidate& candidate : candidates) {
    current_[candidate.index] += candidate.weight;
    total += candidate.weight;
    if (current_[candidate.index] > current_[best]) best = candidate.index;
  }
  current_[best] -= total;
  return best;
}

void SmoothWeightedRoundRobin::rebuild(const std::vector<BackendSpec>& specs) {
  current_.assign(specs.size(), 0);
}

}  // namespace lb

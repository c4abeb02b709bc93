#include "load_balancer/policies/power_of_two.hpp"

namespace lb {

PowerOfTwoChoices::PowerOfTwoChoices(uint64_t seed) : random_(seed) {}

size_t PowerOfTwoChoices::choose(std::span<const Candidate> candidates, uint64_t) {
  if (candidates.size() == 1) return candidates.front().index;
  uint64_t total = 0;
  for (const Candidate& candidate : candidates) total += candidate.weight;
  const size_t first = draw(candidates, total, candidates.size());
  const size_t second = draw(candidates, total - candidates[first].weight, first);
  const Candidate& a = candidates[first];
  const Candidate& b = candidates[second];
  return less_loaded(b, a) ? b.index : a.index;
}

size_t PowerOfTwoChoices::draw(std::span<const Candidate> candidates, uint64_t total, size_t skip) {
  // The modulo bias is below total / 2^64: nothing next to the weights' own granularity.
  uint64_t point = random_() % total;
  size_t last = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (i == skip) continue;
    if (point < candidates[i].weight) return i;
    point -= candidates[i].weight;
    last = i;
  }
  return last;  // not reached: the points cover exactly the weights drawn from
}

}  // namespace lb

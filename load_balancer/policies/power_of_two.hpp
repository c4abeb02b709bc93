// random2: the power of two choices.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>

#include "load_balancer/pick_policy.hpp"

namespace lb {

// Draws two distinct candidates at random, each with a chance proportional to its weight, and
// takes the less loaded (sessions in flight per unit of weight; on a tie, the first drawn). Nearly
// as even as leastconn but without every balancer thread piling on the same least loaded
// backend, and weights hold when every load is equal. The generator is the policy's own, used
// under the pool's lock.
class PowerOfTwoChoices final : public PickPolicy {
 public:
  explicit PowerOfTwoChoices(uint64_t seed);
  size_t choose(std::span<const Candidate> candidates, uint64_t key) override;

 private:
  // A position in `candidates` other than `skip`, drawn by weight; `total` is the sum of the
  // weights without the skipped one.
  size_t draw(std::span<const Candidate> candidates, uint64_t total, size_t skip);

  std::mt19937_64 random_;
};

}  // namespace lb

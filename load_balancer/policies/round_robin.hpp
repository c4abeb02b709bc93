// roundrobin: nginx's smooth weighted round-robin.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "load_balancer/pick_policy.hpp"

namespace lb {

// Each pick adds every candidate's weight to its current value, takes the largest, and subtracts
// the candidates' total from it. Weights 5,1,1 give a a b a c a a rather than a a a a a b c; equal
// weights give plain round-robin. Weights are read at every pick, so a backend in slow start
// gains its share as its effective weight grows.
class SmoothWeightedRoundRobin final : public PickPolicy {
 public:
  explicit SmoothWeightedRoundRobin(size_t backends);
  size_t choose(std::span<const Candidate> candidates, uint64_t key) override;
  void rebuild(const std::vector<BackendSpec>& specs) override;

 private:
  std::vector<int64_t> current_;  // per backend index
};

}  // namespace lb

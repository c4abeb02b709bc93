// leastconn: the backend with the fewest sessions in flight per unit of weight.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "load_balancer/pick_policy.hpp"
#include "load_balancer/policies/round_robin.hpp"

namespace lb {

// Among the candidates whose active/weight is lowest, smooth weighted round-robin decides, as in
// HAProxy: equal loads rotate instead of piling on the first backend, and when requests come one
// at a time (every load 0) the weights still set the shares.
class LeastConnections final : public PickPolicy {
 public:
  explicit LeastConnections(size_t backends);
  size_t choose(std::span<const Candidate> candidates, uint64_t key) override;
  void rebuild(const std::vector<BackendSpec>& specs) override;

 private:
  SmoothWeightedRoundRobin ties_;
  std::vector<Candidate> least_;  // scratch: the least loaded candidates of one pick
};

}  // namespace lb

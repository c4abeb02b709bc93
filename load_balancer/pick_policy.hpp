// How a pool chooses among the backends that may serve a connection. The pool calls a policy
// under its own lock, so a policy keeps state without locking. New policies (leastconn, random2,
// source) plug in here for --balance.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace lb {

class PickPolicy {
 public:
  virtual ~PickPolicy() = default;
  // `candidates` are indexes into the pool's backends (never empty); returns one of them.
  virtual size_t choose(std::span<const size_t> candidates) = 0;
};

// nginx's smooth weighted round-robin: each pick adds every candidate's weight to its current
// value, takes the largest, and subtracts the candidates' total from it. Weights 5,1,1 give
// a a b a c a a rather than a a a a a b c; equal weights give plain round-robin.
class SmoothWeightedRoundRobin final : public PickPolicy {
 public:
  explicit SmoothWeightedRoundRobin(std::vector<uint32_t> weights);
  size_t choose(std::span<const size_t> candidates) override;

 private:
  std::vector<int64_t> weights_;
  std::vector<int64_t> current_;
};

}  // namespace lb

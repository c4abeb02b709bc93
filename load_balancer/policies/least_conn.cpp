#include "load_balancer/policies/least_conn.hpp"

namespace lb {

LeastConnections::LeastConnections(size_t backends) : ties_(backends) { least_.reserve(backends); }

size_t LeastConnections::choose(std::span<const Candidate> candidates, uint64_t) {
  least_.clear();
  for (const Candidate& candidate : candidates) {
    if (!least_.empty() && less_loaded(least_.front(), candidate)) continue;
    if (!least_.empty() && less_loaded(candidate, least_.front())) least_.clear();
    least_.push_back(candidate);
  }
  return ties_.choose(least_, 0);
}

void LeastConnections::rebuild(const std::vector<BackendSpec>& specs) {
  ties_.rebuild(specs);
  least_.reserve(specs.size());
}

}  // namespace lb

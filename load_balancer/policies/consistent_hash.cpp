#include "load_balancer/policies/consistent_hash.hpp"

#include <algorithm>
#include <string>

namespace lb {

uint64_t stable_hash(std::string_view bytes) {
  uint64_t hash = 0xcbf29ce484222325;  // FNV-1a 64 offset basis
  for (const char byte : bytes) {
    hash ^= static_cast<unsigned char>(byte);
    hash *= 0x100000001b3;  // FNV-1a 64 prime
  }
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccd;
  hash ^= hash >> 33;
  hash *= 0xc4ceb9fe1a85ec53;
  hash ^= hash >> 33;
  return hash;
}

ConsistentHash::ConsistentHash(const std::vector<BackendSpec>& specs) { rebuild(specs); }

void ConsistentHash::rebuild(const std::vector<BackendSpec>& specs) {
  ring_.clear();
  is_candidate_.assign(specs.size(), false);
  for (size_t b = 0; b < specs.size(); ++b) {
    const uint32_t points = specs[b].weight * kPointsPerWeight;
    for (uint32_t i = 0; i < points; ++i) {
      const uint64_t position = stable_hash(specs[b].name + "#" + std::to_string(i));
      ring_.push_back(Point{position, static_cast<uint32_t>(b)});
    }
  }
  // Ties in position (rare) are broken by backend so that the ring never depends on input order.
  std::sort(ring_.begin(), ring_.end(), [](const Point& x, const Point& y) {
    return x.position != y.position ? x.position < y.position : x.backend < y.backend;
  });
}

size_t ConsistentHash::choose(std::span<const Candidate> candidates, uint64_t key) {
  for (const Candidate& candidate : candidates) is_candidate_[candidate.index] = true;
  const auto first = std::lower_bound(ring_.begin(), ring_.end(), key,
                                      [](const Point& p, uint64_t k) { return p.position < k; });
  size_t chosen = candidates.front().index;  // kept only if no point matched: cannot happen
  const size_t start = static_cast<size_t>(first - ring_.begin());
  for (size_t step = 0; step < ring_.size(); ++step) {
    const Point& point = ring_[(start + step) % ring_.size()];
    if (is_candidate_[point.backend]) {
      chosen = point.backend;
      break;
    }
  }
  for (const Candidate& candidate : candidates) is_candidate_[candidate.index] = false;
  return chosen;
}

}  // namespace lb

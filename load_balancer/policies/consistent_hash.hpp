// source: consistent hashing of the client address onto a ring of the backends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "load_balancer/backend_spec.hpp"
#include "load_balancer/pick_policy.hpp"

namespace lb {

// 64-bit FNV-1a of `bytes`, then MurmurHash3's finaliser: FNV-1a alone changes mostly the low bits
// for inputs that differ in their last byte (neighbouring IP addresses), and ring positions need
// all 64 bits spread. Stable across builds and runs.
uint64_t stable_hash(std::string_view bytes);

// Every backend, up or not, owns kPointsPerWeight points of a 64-bit ring per unit of its
// configured weight, placed by hashing its name ("127.0.0.1:8081#17"). A key goes to the first
// point clockwise from it whose backend is a candidate. So a client sticks to one backend while
// that one is up; when it goes down only its keys move (each to the next backend on the ring),
// and they come back when it does. Slow start does not apply: shifting keys to ramp a weight
// would break the stickiness.
class ConsistentHash final : public PickPolicy {
 public:
  static constexpr uint32_t kPointsPerWeight = 100;

  explicit ConsistentHash(const std::vector<BackendSpec>& specs);
  size_t choose(std::span<const Candidate> candidates, uint64_t key) override;
  // Places every backend's points anew: a key moves only if its backend went or a new one
  // took its arc, as consistent hashing promises.
  void rebuild(const std::vector<BackendSpec>& specs) override;

 private:
  struct Point {
    uint64_t position;
    uint32_t backend;
  };
  std::vector<Point> ring_;         // sorted by position
  std::vector<bool> is_candidate_;  // scratch for one pick, per backend index
};

}  // namespace lb

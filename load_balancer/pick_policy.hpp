// How a pool chooses among the backends that may serve a connection (TCP mode) or a request (HTTP
// mode): the --balance policies. The pool calls a policy under its own lock, so a policy keeps
// state without locking. The policies themselves live in load_balancer/policies/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "common/address.hpp"
#include "common/result.hpp"
#include "load_balancer/backend_spec.hpp"

namespace lb {

enum class Balance {
  roundrobin,  // smooth weighted round-robin
  leastconn,   // fewest sessions in flight per unit of weight; ties go round
  random2,     // power of two choices: the less loaded of two weighted random candidates
  source,      // consistent hashing on the client address: a client sticks to one backend
};

std::string_view to_string(Balance balance);  // "roundrobin", "leastconn", "random2", "source"
// The inverse of to_string. Error: "rr: unknown policy (roundrobin, leastconn, random2, source)".
common::Result<Balance> parse_balance(std::string_view text);

// One backend that may be picked (up and not tried yet), as the pool sees it at pick time.
struct Candidate {
  size_t index = 0;     // into the pool's backends
  uint32_t weight = 0;  // effective weight, > 0 (Backend::effective_weight: kWeightScale per unit)
  uint64_t active = 0;  // sessions in flight: connections (TCP mode) or requests (HTTP mode)
};

// True when `a` carries fewer sessions per unit of weight than `b` (exact: no division).
inline bool less_loaded(const Candidate& a, const Candidate& b) {
  return a.active * b.weight < b.active * a.weight;
}

class PickPolicy {
 public:
  virtual ~PickPolicy() = default;
  // `candidates` are never empty and come in index order; `key` is the client's affinity_key()
  // (only source uses it). Returns the index of one of the candidates.
  virtual size_t choose(std::span<const Candidate> candidates, uint64_t key) = 0;
  // The pool's backends changed (added, removed, reweighed): `specs` are now its backends, in
  // index order, with their current weights. Per-backend state starts afresh.
  virtual void rebuild(const std::vector<BackendSpec>& specs) { (void)specs; }
};

// The policy `kind` for a pool built from `specs` (source hashes their names and weights; random2
// is seeded from std::random_device).
std::unique_ptr<PickPolicy> make_policy(Balance kind, const std::vector<BackendSpec>& specs);

// What source hashes for a client: its IP address, not its port, so that all connections of a
// client go to one backend. Stable across builds and runs (FNV-1a, not std::hash); an IPv4-mapped
// IPv6 address gives the same key as the IPv4 address.
uint64_t affinity_key(const common::Address& client);

}  // namespace lb

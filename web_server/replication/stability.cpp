#include "web_server/replication/stability.hpp"

#include <algorithm>
#include <limits>

namespace web::replication {

void Stability::heard(const store::Promise& promise) {
  const std::lock_guard lock(mutex_);
  add(promise);
}

void Stability::heard(std::span<const store::Promise> promises) {
  const std::lock_guard lock(mutex_);
  for (const store::Promise& promise : promises) add(promise);
}

// A promise another one dominates (a seq as low or lower, an hlc as high or higher) adds nothing.
// A full list loses its second entry: the first is the likeliest to become usable next, the
// newest are needed once it is.
void Stability::add(const store::Promise& promise) {
  if (promise.origin == 0) return;
  auto& list = promises_[promise.origin];
  const bool dominated = std::any_of(list.begin(), list.end(), [&](const store::Promise& p) {
    return p.seq <= promise.seq && p.hlc >= promise.hlc;
  });
  if (dominated) return;
  std::erase_if(
      list, [&](const store::Promise& p) { return promise.seq <= p.seq && promise.hlc >= p.hlc; });
  const auto at = std::upper_bound(
      list.begin(), list.end(), promise,
      [](const store::Promise& a, const store::Promise& b) { return a.seq < b.seq; });
  list.insert(at, promise);
  if (list.size() > kKeptPerOrigin) list.erase(list.begin() + 1);
}

std::vector<store::Promise> Stability::latest() const {
  const std::lock_guard lock(mutex_);
  std::vector<store::Promise> newest;
  newest.reserve(promises_.size());
  for (const auto& [origin, list] : promises_) {
    if (!list.empty()) newest.push_back(list.back());
  }
  return newest;
}

std::optional<uint64_t> Stability::horizon(const store::Summary& everyone_has,
                                           const std::set<store::OriginId>& origins) {
  const std::lock_guard lock(mutex_);
  uint64_t horizon = std::numeric_limits<uint64_t>::max();
  for (const store::OriginId origin : origins) {
    const auto found = promises_.find(origin);
    if (found == promises_.end()) return std::nullopt;
    auto& list = found->second;
    const uint64_t floor = store::seq_of(everyone_has, origin);
    // The list is in seq (and so hlc) order: the last promise within the floor is the best.
    const auto past =
        std::upper_bound(list.begin(), list.end(), floor,
                         [](uint64_t seq, const store::Promise& p) { return seq < p.seq; });
    if (past == list.begin()) return std::nullopt;
    const auto best = std::prev(past);
    horizon = std::min(horizon, best->hlc);
    list.erase(list.begin(), best);
  }
  return origins.empty() ? std::nullopt : std::optional<uint64_t>(horizon);
}

}  // namespace web::replication

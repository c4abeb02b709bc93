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

void Stability::declared(store::OriginId declarer, store::Summary retired) {
  const std::lock_guard lock(mutex_);
  declared_[declarer] = std::move(retired);
}

store::Summary Stability::highest_declared(const std::set<store::OriginId>& members) const {
  const std::lock_guard lock(mutex_);
  store::Summary highest;
  for (const store::OriginId member : members) {
    const auto found = declared_.find(member);
    if (found == declared_.end()) continue;
    for (const auto& [origin, last] : found->second) {
      highest[origin] = std::max(highest[origin], last);
    }
  }
  return highest;
}

bool Stability::retired_by_all(store::OriginId origin, const View& view) const {
  const uint64_t last = store::seq_of(view.retired, origin);
  if (last == 0 || store::seq_of(view.everyone_has, origin) < last) return false;
  return std::all_of(view.members.begin(), view.members.end(), [&](store::OriginId member) {
    const auto found = declared_.find(member);
    return found != declared_.end() && store::seq_of(found->second, origin) == last;
  });
}

std::optional<uint64_t> Stability::horizon(const View& view) {
  const std::lock_guard lock(mutex_);
  uint64_t horizon = std::numeric_limits<uint64_t>::max();
  bool bounded = false;
  for (const store::OriginId origin : view.origins) {
    if (retired_by_all(origin, view)) continue;
    const auto found = promises_.find(origin);
    if (found == promises_.end()) return std::nullopt;
    auto& list = found->second;
    const uint64_t floor = store::seq_of(view.everyone_has, origin);
    // The list is in seq (and so hlc) order: the last promise within the floor is the best.
    const auto past =
        std::upper_bound(list.begin(), list.end(), floor,
                         [](uint64_t seq, const store::Promise& p) { return seq < p.seq; });
    if (past == list.begin()) return std::nullopt;
    const auto best = std::prev(past);
    horizon = std::min(horizon, best->hlc);
    bounded = true;
    list.erase(list.begin(), best);
  }
  return bounded ? std::optional<uint64_t>(horizon) : std::nullopt;
}

}  // namespace web::replication

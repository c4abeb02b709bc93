#include "web_server/store/hlc.hpp"

#include <algorithm>
#include <utility>

namespace web::store {

namespace {

constexpr unsigned kCounterBits = 16;

uint64_t system_millis() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count());
}

}  // namespace

HybridClock::HybridClock(uint64_t floor, common::Millis max_skew, WallClock wall)
    : last_(floor),
      max_skew_ms_(static_cast<uint64_t>(std::max<common::Millis::rep>(max_skew.count(), 0))),
      wall_(wall ? std::move(wall) : WallClock(system_millis)) {}

// last_ + 1 carries a full counter into the next millisecond, so a burst of more than 65536
// writes in one millisecond borrows from the future instead of repeating a timestamp.
uint64_t HybridClock::now() {
  const uint64_t wall = wall_() << kCounterBits;
  const std::lock_guard lock(mutex_);
  last_ = std::max(last_ + 1, wall);
  return last_;
}

uint64_t HybridClock::last() const {
  const std::lock_guard lock(mutex_);
  return last_;
}

bool HybridClock::observe(uint64_t remote) {
  const uint64_t limit_ms = wall_() + max_skew_ms_;
  const std::lock_guard lock(mutex_);
  if (millis_of(remote) > limit_ms) {
    last_ = std::max(last_, limit_ms << kCounterBits);
    return false;
  }
  last_ = std::max(last_, remote);
  return true;
}

}  // namespace web::store

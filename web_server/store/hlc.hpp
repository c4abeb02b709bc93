// A hybrid logical clock: timestamps that follow the wall clock in milliseconds, never go
// backwards (not across restarts either: the store persists the last one it issued), and move
// past every timestamp the server has seen from its peers, so that a write that follows another
// causally always carries the larger timestamp. Layout: wall-clock ms << 16 | a 16-bit counter.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>

#include "common/socket.hpp"

namespace web::store {

class HybridClock {
 public:
  using WallClock = std::function<uint64_t()>;  // milliseconds since the epoch

  // `floor`: the last timestamp issued before a restart. A remote timestamp more than `max_skew`
  // ahead of the wall clock advances this clock only up to wall + max_skew (see observe()).
  explicit HybridClock(uint64_t floor, common::Millis max_skew = common::Millis{500},
                       WallClock wall = nullptr);

  uint64_t now();  // thread-safe; strictly greater than every value returned or observed before
  // Thread-safe: the last value returned or observed; every later now() is greater.
  uint64_t last() const;

  // Thread-safe. Takes a peer's timestamp into account. Returns false when it was more than
  // max_skew ahead of the wall clock: the clock then advances only to wall + max_skew, so that
  // one server with a bad clock cannot drag every later write everywhere into its future (its own
  // writes keep their versions, which every server applies alike).
  bool observe(uint64_t remote);

  static uint64_t millis_of(uint64_t hlc) { return hlc >> 16; }

 private:
  mutable std::mutex mutex_;
  uint64_t last_;
  const uint64_t max_skew_ms_;
  WallClock wall_;
};

}  // namespace web::store

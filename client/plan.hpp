// Who sends the next request and when it was due. One Plan is shared by every worker; each
// worker asks for a ticket when it is free to send.
//
// Closed loop: a ticket is due at once, so each connection sends as soon as its previous response
// arrived. Open loop (rate > 0): ticket k is due at start + k / rate whatever happened before, so
// a slow response delays the tickets behind it and their latency, measured from the due time,
// shows that delay instead of hiding it (coordinated omission corrected, as in wrk2). Tickets come
// from one shared sequence rather than one schedule per connection, so the earliest due request
// goes to whichever connection is free first.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

namespace client {

using Clock = std::chrono::steady_clock;

struct PlanConfig {
  std::optional<uint64_t> requests;                   // counted requests to send
  std::optional<std::chrono::milliseconds> duration;  // how long to send counted requests
  std::chrono::milliseconds warmup{0};  // before counting starts: requests sent, not counted
  double rate = 0;                      // requests per second over all connections; 0 = closed loop
};

struct Ticket {
  Clock::time_point due;
  bool counted = true;  // false during the warm-up
};

class Plan {
 public:
  // `start` is when the run begins; the warm-up (if any) starts there.
  Plan(const PlanConfig& config, Clock::time_point start);

  // Thread-safe. The next request, or nullopt once the run is over. `now` is the caller's clock
  // reading (closed-loop tickets are due then; the duration ends by it).
  std::optional<Ticket> next(Clock::time_point now);

  // Thread-safe. Ends the run early: every later next() returns nullopt.
  void stop() { stopped_.store(true, std::memory_order_relaxed); }

  // When counted requests begin: the end of the warm-up.
  Clock::time_point measure_start() const { return measure_start_; }
  bool open_loop() const { return config_.rate > 0; }

 private:
  std::optional<Ticket> next_closed(Clock::time_point now);
  std::optional<Ticket> next_open();

  PlanConfig config_;
  Clock::time_point start_;
  Clock::time_point measure_start_;
  uint64_t warmup_tickets_ = 0;      // open loop: tickets due before measure_start_
  std::atomic<uint64_t> issued_{0};  // open loop: tickets handed out; closed: counted ones
  std::atomic<bool> stopped_{false};
};

}  // namespace client

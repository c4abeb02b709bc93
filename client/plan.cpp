#include "client/plan.hpp"

#include <cmath>

namespace client {

namespace {

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

}  // namespace

Plan::Plan(const PlanConfig& config, Clock::time_point start)
    : config_(config), start_(start), measure_start_(start + config.warmup) {
  if (open_loop()) {
    // Tickets k with k / rate < warmup; in milliseconds so that round values stay exact.
    const double warmup_ms = static_cast<double>(config.warmup.count());
    warmup_tickets_ = static_cast<uint64_t>(std::ceil(warmup_ms * config.rate / 1000.0));
  }
}

std::optional<Ticket> Plan::next(Clock::time_point now) {
  if (stopped_.load(std::memory_order_relaxed)) return std::nullopt;
  return open_loop() ? next_open() : next_closed(now);
}

std::optional<Ticket> Plan::next_closed(Clock::time_point now) {
  if (now < measure_start_) return Ticket{now, false};
  if (config_.duration && now >= measure_start_ + *config_.duration) return std::nullopt;
  if (config_.requests && issued_.fetch_add(1, std::memory_order_relaxed) >= *config_.requests) {
    return std::nullopt;
  }
  return Ticket{now, true};
}

std::optional<Ticket> Plan::next_open() {
  const uint64_t k = issued_.fetch_add(1, std::memory_order_relaxed);
  const bool counted = k >= warmup_tickets_;
  if (config_.requests && k >= warmup_tickets_ + *config_.requests) return std::nullopt;
  // Computed from k each time rather than accumulated, so rounding never drifts.
  const Clock::time_point due = start_ + seconds(static_cast<double>(k) / config_.rate);
  if (config_.duration && due >= measure_start_ + *config_.duration) return std::nullopt;
  return Ticket{due, counted};
}

}  // namespace client

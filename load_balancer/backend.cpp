#include "load_balancer/backend.hpp"

#include <algorithm>
#include <cmath>

#include "common/log.hpp"

namespace lb {

std::string_view to_string(AdminState state) {
  switch (state) {
    case AdminState::active:
      return "active";
    case AdminState::draining:
      return "draining";
    case AdminState::disabled:
      return "disabled";
  }
  return "?";
}

Backend::Backend(BackendSpec spec, Thresholds thresholds, common::Millis slow_start)
    : spec_(std::move(spec)),
      fall_(thresholds.fall),
      slow_start_(slow_start),
      weight_(spec_.weight),
      last_change_(std::chrono::system_clock::now().time_since_epoch().count()),
      state_(thresholds),
      up_(state_.state() == Health::up) {}

void Backend::changed_now() {
  last_change_.store(std::chrono::system_clock::now().time_since_epoch().count(),
                     std::memory_order_relaxed);
}

AdminState Backend::set_admin_state(AdminState state) {
  const AdminState before = admin_.exchange(state, std::memory_order_acq_rel);
  if (before != state) changed_now();
  return before;
}

std::string_view Backend::state_name() const {
  const AdminState admin = admin_state();
  if (admin != AdminState::active) return to_string(admin);
  return is_up() ? "up" : "down";
}

std::chrono::system_clock::time_point Backend::last_change() const {
  return std::chrono::system_clock::time_point(
      std::chrono::system_clock::duration(last_change_.load(std::memory_order_relaxed)));
}

void Backend::record_check(bool ok, std::string_view reason, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const int needed = state_.needed();
  const auto changed = state_.record(ok);
  if (!changed) return;
  if (*changed == Health::up) {
    // Failures seen before it went down say nothing about it now.
    traffic_failures_.store(0, std::memory_order_relaxed);
    came_up_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
  }
  up_.store(*changed == Health::up, std::memory_order_release);
  changed_now();
  common::log("backend ", spec_.name, " is ", to_string(*changed), ": ", reason, " (", needed, "/",
              needed, ok ? " passed" : " failed", " checks)");
}

void Backend::mark_down(std::string_view reason) {
  failures_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  if (!state_.force_down()) return;
  up_.store(false, std::memory_order_release);
  changed_now();
  common::log("backend ", spec_.name, " is DOWN: ", reason, " (failed while serving a client)");
}

void Backend::record_traffic(bool ok, std::string_view reason) {
  if (ok) {
    // Most exchanges succeed: skip the write, and the cache line bouncing between the threads
    // that serve this backend, when there is nothing to reset.
    if (traffic_failures_.load(std::memory_order_relaxed) != 0) {
      traffic_failures_.store(0, std::memory_order_relaxed);
    }
    return;
  }
  stats_.record_failure();
  const int failures = traffic_failures_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (failures < fall_) return;
  std::lock_guard lock(mutex_);
  // Taken down already (by an earlier failure of this run or anything else): active checks
  // decide from here on, and a down backend's rise count is not touched.
  if (state_.state() == Health::down) return;
  traffic_failures_.store(0, std::memory_order_relaxed);
  (void)state_.force_down();
  up_.store(false, std::memory_order_release);
  changed_now();
  common::log("backend ", spec_.name, " is DOWN: ", reason, " (", failures,
              " consecutive failures on live traffic)");
}

uint32_t Backend::effective_weight(Clock::time_point now) const {
  const uint32_t full = weight() * kWeightScale;
  if (slow_start_ <= Clock::duration::zero()) return full;
  const Clock::duration came_up{came_up_.load(std::memory_order_relaxed)};
  if (came_up == Clock::duration::min()) return full;
  const Clock::duration since = now.time_since_epoch() - came_up;
  if (since >= slow_start_) return full;
  // A clock read just before the change (another thread's pick) counts as the start of the ramp.
  const double ramped =
      std::max(0.0, static_cast<double>(since.count()) / static_cast<double>(slow_start_.count()));
  return static_cast<uint32_t>(std::lround(full * (0.1 + 0.9 * ramped)));
}

Backend::Session::Session(Backend& backend) : backend_(backend) {
  backend_.active_.fetch_add(1, std::memory_order_relaxed);
}

Backend::Session::~Session() { backend_.active_.fetch_sub(1, std::memory_order_relaxed); }

}  // namespace lb

#include "load_balancer/health_state.hpp"

namespace lb {

std::string_view to_string(Health health) { return health == Health::up ? "UP" : "DOWN"; }

HealthState::HealthState(Thresholds thresholds, Health initial)
    : thresholds_(thresholds), state_(initial) {}

std::optional<Health> HealthState::record(bool ok) {
  const bool contradicts = ok != (state_ == Health::up);
  if (!contradicts) {
    streak_ = 0;
    return std::nullopt;
  }
  if (++streak_ < needed()) return std::nullopt;
  state_ = ok ? Health::up : Health::down;
  streak_ = 0;
  return state_;
}

std::optional<Health> HealthState::force_down() {
  // A down backend restarts its rise count too: this connect failure is evidence against it.
  streak_ = 0;
  if (state_ == Health::down) return std::nullopt;
  state_ = Health::down;
  return state_;
}

}  // namespace lb

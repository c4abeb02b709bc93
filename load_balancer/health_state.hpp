// The rise/fall state machine of one backend, as in HAProxy: `fall` consecutive failed checks take
// an up backend down, `rise` consecutive passed checks bring a down backend back up. Pure logic:
// no clock, no sockets, no locking (Backend serialises the calls).
#pragma once

#include <optional>
#include <string_view>

namespace lb {

enum class Health { up, down };
std::string_view to_string(Health health);  // "UP", "DOWN"

struct Thresholds {
  int rise = 2;  // >= 1
  int fall = 2;  // >= 1
};

class HealthState {
 public:
  // Backends start up so that traffic flows at once; the first checks correct that quickly.
  explicit HealthState(Thresholds thresholds, Health initial = Health::up);

  // Records one check result; returns the new state when this result changed it.
  std::optional<Health> record(bool ok);
  // Takes the backend down at once (a connect failed while serving a client); from now on it
  // needs `rise` passed checks. Returns Health::down when it was up.
  std::optional<Health> force_down();

  Health state() const { return state_; }
  // Consecutive results that contradict the current state (failures while up, passes while down).
  int streak() const { return streak_; }
  // How many such results change the state: fall while up, rise while down.
  int needed() const { return state_ == Health::up ? thresholds_.fall : thresholds_.rise; }

 private:
  Thresholds thresholds_;
  Health state_;
  int streak_ = 0;
};

}  // namespace lb

#include "load_balancer/backend.hpp"

#include "common/log.hpp"

namespace lb {

Backend::Backend(BackendSpec spec, Thresholds thresholds)
    : spec_(std::move(spec)), state_(thresholds), up_(state_.state() == Health::up) {}

void Backend::record_check(bool ok, std::string_view reason) {
  std::lock_guard lock(mutex_);
  const int needed = state_.needed();
  const auto changed = state_.record(ok);
  if (!changed) return;
  up_.store(*changed == Health::up, std::memory_order_release);
  common::log("backend ", spec_.name, " is ", to_string(*changed), ": ", reason, " (", needed, "/",
              needed, ok ? " passed" : " failed", " checks)");
}

void Backend::mark_down(std::string_view reason) {
  failures_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  if (!state_.force_down()) return;
  up_.store(false, std::memory_order_release);
  common::log("backend ", spec_.name, " is DOWN: ", reason, " (failed while serving a client)");
}

Backend::Session::Session(Backend& backend) : backend_(backend) {
  backend_.active_.fetch_add(1, std::memory_order_relaxed);
  backend_.total_.fetch_add(1, std::memory_order_relaxed);
}

Backend::Session::~Session() { backend_.active_.fetch_sub(1, std::memory_order_relaxed); }

}  // namespace lb

#include "common/service_notify.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdint>
#include <string>
#include <utility>

#include "common/log.hpp"

namespace common {
namespace {

// One notice: the assignments in `state`, then STATUS= when given. sd_notify returns 0 when
// $NOTIFY_SOCKET is unset, > 0 once sent, or a negative errno.
Status send(std::string_view what, std::string state, std::string_view status) {
  if (!status.empty()) state.append(state.empty() ? "" : "\n").append("STATUS=").append(status);
  const int rc = sd_notify(0, state.c_str());
  if (rc < 0) return sys_error("sd_notify " + std::string(what), -rc);
  return Ok{};
}

uint64_t monotonic_usec() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000u + static_cast<uint64_t>(now.tv_nsec) / 1000u;
}

}  // namespace

Status notify_ready(std::string_view status) { return send("READY=1", "READY=1", status); }

Status notify_stopping(std::string_view status) { return send("STOPPING=1", "STOPPING=1", status); }

Status notify_reloading(std::string_view status) {
  return send("RELOADING=1", "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec()),
              status);
}

Status notify_status(std::string_view status) { return send("STATUS", "", status); }

void log_if_failed(const Status& status) {
  if (!status) log(status.error().message);
}

WatchdogPinger::WatchdogPinger(Probe healthy) : healthy_(std::move(healthy)) {
  uint64_t usec = 0;
  // > 0 only when $WATCHDOG_USEC is set and $WATCHDOG_PID, if set, names this process: a child
  // that inherited its parent's environment must not ping on the parent's behalf.
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
  period_ = std::chrono::microseconds(usec / 2);
  thread_ = std::thread([this] { run(); });
}

WatchdogPinger::~WatchdogPinger() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void WatchdogPinger::run() {
  for (;;) {
    // The probe runs unlocked, so that a slow one never holds up the destructor's wake-up. A failed
    // send is not worth stopping for: a watchdog that misses pings restarts us anyway.
    if (!healthy_ || healthy_()) (void)sd_notify(0, "WATCHDOG=1");
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, period_, [this] { return stopping_; })) return;
  }
}

}  // namespace common

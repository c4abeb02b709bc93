// Readiness, reload, stop and watchdog notices to a service manager (systemd Type=notify), over
// the datagram socket named by $NOTIFY_SOCKET. Without $NOTIFY_SOCKET every call does nothing and
// succeeds, so the executables run the same by hand, under a test or under systemd.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>

#include "common/result.hpp"

namespace common {

// "READY=1" with a one-line STATUS= for `systemctl status`. Call once the listener is bound, right
// after printing "listening on HOST:PORT".
Status notify_ready(std::string_view status);
// "STOPPING=1": shutdown (the drain) has begun; systemctl shows the service as deactivating
// rather than running while it finishes its connections.
Status notify_stopping(std::string_view status);
// "RELOADING=1" (with MONOTONIC_USEC, which newer systemd asks for). Follow it with notify_ready
// once the new configuration is in force, or systemctl reload waits until its timeout.
Status notify_reloading(std::string_view status);
// "STATUS=...": a free-form line, e.g. "3 of 4 backends up".
Status notify_status(std::string_view status);

// Logs a failed notice and carries on: a service manager that cannot be told is worth a log line,
// not a stop, since the service itself still works. For the notify_* results above.
void log_if_failed(const Status& status);

// Sends "WATCHDOG=1" at half the interval systemd asked for (WatchdogSec= sets $WATCHDOG_USEC and
// $WATCHDOG_PID), from its own thread, for as long as it lives. `healthy`, when given, is asked
// before each ping: a process that stops answering it is left to the watchdog, which kills and
// restarts it. When the watchdog is off for this process, nothing is started.
class WatchdogPinger {
 public:
  using Probe = std::function<bool()>;
  explicit WatchdogPinger(Probe healthy = {});
  ~WatchdogPinger();  // stops the thread and joins it, without waiting out the interval
  WatchdogPinger(const WatchdogPinger&) = delete;
  WatchdogPinger& operator=(const WatchdogPinger&) = delete;

  bool active() const { return thread_.joinable(); }
  // The time between pings (half of WatchdogSec=), zero when inactive.
  std::chrono::microseconds period() const { return period_; }

 private:
  void run();

  Probe healthy_;
  std::chrono::microseconds period_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once everything it reads is set
};

}  // namespace common

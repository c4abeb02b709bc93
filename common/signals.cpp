#include "common/signals.hpp"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "common/log.hpp"
#include "common/service_notify.hpp"

namespace common {

namespace {

sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

// The next of SIGINT, SIGTERM and SIGHUP if one comes within `timeout`, else 0.
int signal_within(std::chrono::milliseconds timeout) {
  const sigset_t set = shutdown_signals();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  const timespec wait{static_cast<time_t>(seconds.count()),
                      static_cast<long>((timeout - seconds).count() * 1000000)};
  const int sig = sigtimedwait(&set, nullptr, &wait);
  return sig > 0 ? sig : 0;
}

}  // namespace

void block_shutdown_signals() {
  // A peer that closes mid-send must cost an EPIPE, not the process.
  ::signal(SIGPIPE, SIG_IGN);
  const sigset_t set = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int wait_for_signal() {
  const sigset_t set = shutdown_signals();
  int number = 0;
  // sigwait only fails for an invalid set, which this is not; it does not return EINTR.
  while (sigwait(&set, &number) != 0) {
  }
  return number;
}

int wait_for_shutdown(const std::function<void()>& on_hangup) {
  int sig = 0;
  while ((sig = wait_for_signal()) == SIGHUP) on_hangup();
  log("received ", strsignal(sig), ": shutting down");
  log_if_failed(notify_stopping("draining connections"));
  return sig;
}

bool drain(std::chrono::milliseconds timeout, const std::function<size_t()>& open_connections) {
  size_t open = open_connections();
  if (open == 0) return true;
  log("shutting down: waiting up to ", timeout.count(), "ms for ", open, " open connections");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (; open > 0; open = open_connections()) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      log("drain timeout passed: closing ", open, " connections");
      return false;
    }
    // Polled every 100 ms: a connection's end wakes nobody here, a signal does.
    const int sig = signal_within(std::min(left, std::chrono::milliseconds{100}));
    if (sig == SIGTERM || sig == SIGINT) {
      log("received ", strsignal(sig), " again: closing ", open_connections(), " connections");
      return false;
    }
  }
  return true;
}

}  // namespace common

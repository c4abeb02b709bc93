#include "common/signals.hpp"

#include <pthread.h>
#include <signal.h>

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

}  // namespace common

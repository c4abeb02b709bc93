#include "common/signals.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>

#include <thread>

namespace {

// On a thread of its own, so the signal mask of the test runner's main thread is left alone.
int deliver_and_wait(int number) {
  int received = 0;
  std::thread waiter([&] {
    common::block_shutdown_signals();
    pthread_kill(pthread_self(), number);  // stays pending: the thread blocks it
    received = common::wait_for_signal();
  });
  waiter.join();
  return received;
}

TEST(SignalsTest, WaitForSignalReturnsEachShutdownSignal) {
  for (int number : {SIGTERM, SIGINT, SIGHUP}) EXPECT_EQ(deliver_and_wait(number), number);
}

TEST(SignalsTest, SigpipeIsIgnored) {
  std::thread([] { common::block_shutdown_signals(); }).join();
  struct sigaction action {};
  ASSERT_EQ(sigaction(SIGPIPE, nullptr, &action), 0);
  EXPECT_EQ(action.sa_handler, SIG_IGN);
}

}  // namespace

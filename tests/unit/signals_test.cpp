#include "common/signals.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>

#include <string>
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

// Runs `body` on a thread of its own with the shutdown signals blocked there, as main does.
template <class Body>
void with_signals_blocked(Body body) {
  std::thread([&] {
    common::block_shutdown_signals();
    body();
  }).join();
}

TEST(SignalsTest, WaitForShutdownRunsOnHangupForEachSighupBeforeTheShutdownSignal) {
  int hangups = 0;
  int returned = 0;
  with_signals_blocked([&] {
    pthread_kill(pthread_self(), SIGHUP);
    returned = common::wait_for_shutdown([&] {
      // Pending signals of one kind merge, so the next one is sent only once this one is taken.
      pthread_kill(pthread_self(), ++hangups < 2 ? SIGHUP : SIGTERM);
    });
  });
  EXPECT_EQ(hangups, 2);
  EXPECT_EQ(returned, SIGTERM);
}

TEST(SignalsTest, DrainIsDoneOnceNoConnectionIsLeft) {
  int open = 3;
  EXPECT_TRUE(common::drain(std::chrono::seconds(30), [&] { return static_cast<size_t>(open--); }));
  EXPECT_EQ(open, -1);
}

TEST(SignalsTest, DrainGivesUpWhenTheTimeoutPasses) {
  testing::internal::CaptureStderr();
  EXPECT_FALSE(common::drain(std::chrono::milliseconds(50), [] { return size_t{2}; }));
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("waiting up to 50ms for 2 open connections"), std::string::npos) << log;
  EXPECT_NE(log.find("drain timeout passed: closing 2 connections"), std::string::npos) << log;
}

TEST(SignalsTest, ASecondShutdownSignalEndsTheDrainAtOnce) {
  bool drained = true;
  testing::internal::CaptureStderr();
  with_signals_blocked([&] {
    pthread_kill(pthread_self(), SIGINT);
    drained = common::drain(std::chrono::seconds(30), [] { return size_t{1}; });
  });
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_FALSE(drained);
  EXPECT_NE(log.find("received Interrupt again: closing 1 connections"), std::string::npos) << log;
}

TEST(SignalsTest, ASighupDuringTheDrainDoesNotEndIt) {
  bool drained = false;
  with_signals_blocked([&] {
    pthread_kill(pthread_self(), SIGHUP);
    int polls = 0;
    drained =
        common::drain(std::chrono::seconds(30), [&] { return size_t{++polls < 4 ? 1u : 0u}; });
  });
  EXPECT_TRUE(drained);
}

TEST(SignalsTest, SigpipeIsIgnored) {
  std::thread([] { common::block_shutdown_signals(); }).join();
  struct sigaction action {};
  ASSERT_EQ(sigaction(SIGPIPE, nullptr, &action), 0);
  EXPECT_EQ(action.sa_handler, SIG_IGN);
}

}  // namespace

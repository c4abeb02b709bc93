#include "common/connection_threads.hpp"

#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "tests/unit/net_test_support.hpp"

namespace {

using namespace std::chrono_literals;
using common::ConnectionThreads;
using net_test::eventually;

TEST(ConnectionThreadsTest, RunsEveryTask) {
  std::atomic<int> ran{0};
  {
    ConnectionThreads threads({.max_threads = 8});
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(threads.run([&ran] { ++ran; }));
  }  // the destructor waits for all of them
  EXPECT_EQ(ran.load(), 100);
}

TEST(ConnectionThreadsTest, ReusesAParkedThreadForSequentialTasks) {
  ConnectionThreads threads({.max_threads = 64});
  std::atomic<int> ran{0};
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(threads.run([&ran] { ++ran; }));
    // Once no task runs, the thread that ran it is parked, so the next task must reuse it.
    ASSERT_TRUE(eventually([&] { return threads.running() == 0; }));
    ASSERT_EQ(threads.threads(), 1u) << "after task " << i;
  }
  EXPECT_EQ(ran.load(), 1000);
}

TEST(ConnectionThreadsTest, RunBlocksWhileMaxThreadsTasksRun) {
  ConnectionThreads threads({.max_threads = 2});
  std::promise<void> release_promise;
  std::shared_future<void> release = release_promise.get_future().share();
  ASSERT_TRUE(threads.run([release] { release.wait(); }));
  ASSERT_TRUE(threads.run([release] { release.wait(); }));
  std::atomic<bool> third_ran{false};
  auto third = std::async(std::launch::async,
                          [&] { return threads.run([&third_ran] { third_ran = true; }); });
  // The bound holds: the third run() cannot return while both slots are taken.
  EXPECT_EQ(third.wait_for(200ms), std::future_status::timeout);
  EXPECT_EQ(threads.running(), 2u);
  release_promise.set_value();
  EXPECT_TRUE(third.get());
  EXPECT_TRUE(eventually([&] { return third_ran.load(); }));
  EXPECT_LE(threads.threads(), 2u);
}

TEST(ConnectionThreadsTest, ParkedThreadsExitAfterParkTimeAndAreReplaced) {
  ConnectionThreads threads({.max_threads = 4, .park_time = 20ms});
  ASSERT_TRUE(threads.run([] {}));
  EXPECT_TRUE(eventually([&] { return threads.threads() == 0; }));
  // A new task after all threads left gets a new thread (and the exited one is joined).
  std::promise<void> done;
  ASSERT_TRUE(threads.run([&done] { done.set_value(); }));
  EXPECT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
}

TEST(ConnectionThreadsTest, DestructorWaitsForRunningTasks) {
  std::atomic<int> finished{0};
  std::promise<void> release_promise;
  std::shared_future<void> release = release_promise.get_future().share();
  auto releaser = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(50ms);  // let the destructor start waiting
    release_promise.set_value();
  });
  {
    ConnectionThreads threads({.max_threads = 4});
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(threads.run([release, &finished] {
        release.wait();
        ++finished;
      }));
    }
  }
  EXPECT_EQ(finished.load(), 4);
  releaser.get();
}

TEST(ConnectionThreadsTest, ThreadsGetTheRequestedStackSize) {
  constexpr size_t kStack = 512 * 1024;
  ConnectionThreads threads({.max_threads = 1, .stack_bytes = kStack});
  std::promise<size_t> size;
  ASSERT_TRUE(threads.run([&size] {
    pthread_attr_t attr;
    size_t bytes = 0;
    pthread_getattr_np(pthread_self(), &attr);
    pthread_attr_getstacksize(&attr, &bytes);
    pthread_attr_destroy(&attr);
    size.set_value(bytes);
  }));
  const size_t bytes = size.get_future().get();
  EXPECT_GE(bytes, kStack);
  EXPECT_LT(bytes, 2 * kStack);  // not the 8 MiB default
}

TEST(ConnectionThreadsTest, ManyConcurrentTasksFromTwoProducers) {
  std::atomic<int> ran{0};
  {
    ConnectionThreads threads({.max_threads = 16, .park_time = 1ms});
    auto produce = [&] {
      for (int i = 0; i < 500; ++i) {
        if (!threads.run([&ran] { ++ran; })) return;
      }
    };
    std::thread first(produce);
    std::thread second(produce);
    first.join();
    second.join();
    EXPECT_LE(threads.threads(), 16u);
  }
  EXPECT_EQ(ran.load(), 1000);
}

}  // namespace

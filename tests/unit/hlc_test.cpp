#include "web_server/store/hlc.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace web::store {
namespace {

constexpr uint64_t kMs = 1'700'000'000'000;  // a wall-clock reading, in ms

// A clock whose wall time the test sets.
struct FakeWall {
  std::shared_ptr<std::atomic<uint64_t>> ms = std::make_shared<std::atomic<uint64_t>>(kMs);
  HybridClock::WallClock fn() const {
    return [ms = ms] { return ms->load(); };
  }
};

TEST(HybridClockTest, FollowsTheWallClock) {
  FakeWall wall;
  HybridClock clock(0, common::Millis{500}, wall.fn());
  EXPECT_EQ(clock.now(), kMs << 16);
  *wall.ms = kMs + 5;
  EXPECT_EQ(clock.now(), (kMs + 5) << 16);
}

TEST(HybridClockTest, NeverGoesBackwardsWhenTheWallClockDoes) {
  FakeWall wall;
  HybridClock clock(0, common::Millis{500}, wall.fn());
  const uint64_t first = clock.now();
  *wall.ms = kMs - 1000;
  const uint64_t second = clock.now();
  EXPECT_EQ(second, first + 1);
  EXPECT_EQ(HybridClock::millis_of(second), kMs);
}

TEST(HybridClockTest, CounterOverflowMovesToTheNextMillisecond) {
  FakeWall wall;
  HybridClock clock(0, common::Millis{500}, wall.fn());
  uint64_t last = 0;
  for (int i = 0; i < 65536; ++i) last = clock.now();
  EXPECT_EQ(last, (kMs << 16) | 0xffff);
  const uint64_t next = clock.now();
  EXPECT_EQ(next, (kMs + 1) << 16);
  EXPECT_GT(next, last);
}

TEST(HybridClockTest, StartsAboveTheFloor) {
  FakeWall wall;
  const uint64_t floor = (kMs + 10'000) << 16 | 3;  // issued before a restart, wall now behind
  HybridClock clock(floor, common::Millis{500}, wall.fn());
  EXPECT_EQ(clock.now(), floor + 1);
}

TEST(HybridClockTest, ObservingATimestampWithinSkewMovesPastIt) {
  FakeWall wall;
  HybridClock clock(0, common::Millis{500}, wall.fn());
  const uint64_t remote = (kMs + 400) << 16 | 7;
  EXPECT_TRUE(clock.observe(remote));
  EXPECT_EQ(clock.now(), remote + 1);
}

TEST(HybridClockTest, ObservingAnOlderTimestampChangesNothing) {
  FakeWall wall;
  HybridClock clock(0, common::Millis{500}, wall.fn());
  const uint64_t mine = clock.now();
  EXPECT_TRUE(clock.observe((kMs - 100) << 16));
  EXPECT_EQ(clock.now(), mine + 1);
}

TEST(HybridClockTest, FarAheadTimestampIsClamped) {
  FakeWall wall;
  HybridClock clock(0, common::Millis{500}, wall.fn());
  EXPECT_FALSE(clock.observe((kMs + 60'000) << 16));
  const uint64_t next = clock.now();
  EXPECT_EQ(HybridClock::millis_of(next), kMs + 500);
  EXPECT_LT(next, (kMs + 60'000) << 16);
  EXPECT_FALSE(clock.observe((kMs + 501) << 16));
  EXPECT_TRUE(clock.observe((kMs + 500) << 16 | 0xffff));
}

TEST(HybridClockTest, ConcurrentCallersGetDistinctIncreasingValues) {
  HybridClock clock(0);
  constexpr int kThreads = 4;
  constexpr int kEach = 20000;
  std::vector<std::vector<uint64_t>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        seen[static_cast<size_t>(t)].push_back(i % 3 == 0 ? (clock.observe(1), clock.now())
                                                           : clock.now());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<uint64_t> all;
  for (const auto& values : seen) {
    for (size_t i = 1; i < values.size(); ++i) ASSERT_GT(values[i], values[i - 1]);
    all.insert(all.end(), values.begin(), values.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
}

}  // namespace
}  // namespace web::store

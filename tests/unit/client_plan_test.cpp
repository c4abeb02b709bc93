#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "client/plan.hpp"

namespace {

using namespace std::chrono_literals;
using client::Clock;
using client::Plan;
using client::PlanConfig;

const Clock::time_point kStart = Clock::time_point{} + 1000s;

PlanConfig config(std::optional<uint64_t> requests,
                  std::optional<std::chrono::milliseconds> duration,
                  std::chrono::milliseconds warmup = 0ms, double rate = 0) {
  PlanConfig c;
  c.requests = requests;
  c.duration = duration;
  c.warmup = warmup;
  c.rate = rate;
  return c;
}

TEST(ClientPlanTest, ClosedLoopHandsOutExactlyTheRequestedTicketsDueNow) {
  Plan plan(config(3, std::nullopt), kStart);
  for (int i = 0; i < 3; ++i) {
    auto ticket = plan.next(kStart + 5ms);
    ASSERT_TRUE(ticket);
    EXPECT_TRUE(ticket->counted);
    EXPECT_EQ(ticket->due, kStart + 5ms);
  }
  EXPECT_FALSE(plan.next(kStart + 5ms));
  EXPECT_FALSE(plan.next(kStart + 6ms));
  EXPECT_FALSE(plan.open_loop());
}

TEST(ClientPlanTest, ClosedLoopTicketsAreNeitherLostNorDuplicatedAcrossThreads) {
  constexpr uint64_t kRequests = 20000;
  Plan plan(config(kRequests, std::nullopt), kStart);
  std::atomic<uint64_t> taken{0};
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        while (plan.next(kStart)) taken.fetch_add(1);
      });
    }
  }
  EXPECT_EQ(taken.load(), kRequests);
}

TEST(ClientPlanTest, ClosedLoopDurationEndsTheRun) {
  Plan plan(config(std::nullopt, 2s), kStart);
  EXPECT_TRUE(plan.next(kStart));
  EXPECT_TRUE(plan.next(kStart + 1999ms));
  EXPECT_FALSE(plan.next(kStart + 2s));
}

TEST(ClientPlanTest, ClosedLoopWarmupTicketsAreNotCountedNorUseTheBudget) {
  Plan plan(config(2, std::nullopt, 1s), kStart);
  EXPECT_EQ(plan.measure_start(), kStart + 1s);
  for (int i = 0; i < 10; ++i) {
    auto ticket = plan.next(kStart + 500ms);
    ASSERT_TRUE(ticket);
    EXPECT_FALSE(ticket->counted);
  }
  EXPECT_TRUE(plan.next(kStart + 1s)->counted);
  EXPECT_TRUE(plan.next(kStart + 2s)->counted);
  EXPECT_FALSE(plan.next(kStart + 2s));
}

TEST(ClientPlanTest, ClosedLoopDurationStartsAfterTheWarmup) {
  Plan plan(config(std::nullopt, 1s, 1s), kStart);
  EXPECT_TRUE(plan.next(kStart + 1500ms));
  EXPECT_FALSE(plan.next(kStart + 2s));
}

TEST(ClientPlanTest, OpenLoopTicketsAreDueOnTheScheduleWhateverTheClockSays) {
  Plan plan(config(4, std::nullopt, 0ms, 100), kStart);
  EXPECT_TRUE(plan.open_loop());
  // The caller's clock is late; the due times still follow the schedule.
  for (int k = 0; k < 4; ++k) {
    auto ticket = plan.next(kStart + 10s);
    ASSERT_TRUE(ticket);
    EXPECT_TRUE(ticket->counted);
    EXPECT_EQ(ticket->due, kStart + k * 10ms);
  }
  EXPECT_FALSE(plan.next(kStart));
}

TEST(ClientPlanTest, OpenLoopDurationBoundsTheScheduleNotTheClock) {
  Plan plan(config(std::nullopt, 1s, 0ms, 50), kStart);
  int tickets = 0;
  while (auto ticket = plan.next(kStart)) {
    EXPECT_LT(ticket->due, kStart + 1s);
    ++tickets;
  }
  EXPECT_EQ(tickets, 50);
}

TEST(ClientPlanTest, OpenLoopWarmupTicketsComeFirstAndAreNotCounted) {
  Plan plan(config(3, std::nullopt, 100ms, 20), kStart);
  // 100 ms at 20/s: two warm-up tickets (due at 0 and 50 ms), then three counted ones.
  std::vector<bool> counted;
  while (auto ticket = plan.next(kStart)) {
    counted.push_back(ticket->counted);
    EXPECT_EQ(ticket->due >= plan.measure_start(), ticket->counted);
  }
  EXPECT_EQ(counted, (std::vector<bool>{false, false, true, true, true}));
}

TEST(ClientPlanTest, StopEndsTheRunForEveryCaller) {
  Plan closed(config(100, std::nullopt), kStart);
  Plan open(config(100, std::nullopt, 0ms, 10), kStart);
  ASSERT_TRUE(closed.next(kStart));
  ASSERT_TRUE(open.next(kStart));
  closed.stop();
  open.stop();
  EXPECT_FALSE(closed.next(kStart));
  EXPECT_FALSE(open.next(kStart));
}

}  // namespace

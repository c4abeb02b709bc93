#include "common/log.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>
#include <thread>

namespace {

// "2026-11-26T15:30:00.123Z " : digits where the pattern has 'd', the other characters as they are.
bool has_timestamp_prefix(const std::string& line) {
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddZ ";
  if (line.size() < kShape.size()) return false;
  for (size_t i = 0; i < kShape.size(); ++i) {
    const bool ok = kShape[i] == 'd' ? std::isdigit(static_cast<unsigned char>(line[i])) != 0
                                     : line[i] == kShape[i];
    if (!ok) return false;
  }
  return true;
}

TEST(LogTest, WritesOneTimestampedLinePerCall) {
  testing::internal::CaptureStderr();
  common::log("backend ", "10.0.0.2:8080", " down after ", 3, " failures");
  common::log_line("second");
  const std::string out = testing::internal::GetCapturedStderr();
  const size_t first_end = out.find('\n');
  ASSERT_NE(first_end, std::string::npos) << out;
  const std::string first = out.substr(0, first_end);
  const std::string second = out.substr(first_end + 1);
  ASSERT_TRUE(has_timestamp_prefix(first)) << out;
  EXPECT_EQ(first.substr(25), "backend 10.0.0.2:8080 down after 3 failures");
  ASSERT_TRUE(has_timestamp_prefix(second)) << out;
  EXPECT_EQ(second.substr(25), "second\n");
}

TEST(LogLimiterTest, LetsThroughAtMostNPerSecondAndCountsTheRest) {
  common::LogLimiter limiter(2);
  const auto t0 = common::LogLimiter::Clock::now();
  const auto ms = [](int n) { return std::chrono::milliseconds(n); };
  uint64_t suppressed = 99;
  EXPECT_TRUE(limiter.admit(t0, suppressed));
  EXPECT_EQ(suppressed, 0u);
  EXPECT_TRUE(limiter.admit(t0 + ms(10), suppressed));
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.admit(t0 + ms(20 + i), suppressed));
  EXPECT_FALSE(limiter.admit(t0 + ms(999), suppressed));
  // A new second: the first line through reports the six held back, the next one none.
  ASSERT_TRUE(limiter.admit(t0 + ms(1000), suppressed));
  EXPECT_EQ(suppressed, 6u);
  ASSERT_TRUE(limiter.admit(t0 + ms(1001), suppressed));
  EXPECT_EQ(suppressed, 0u);
}

TEST(LogLimiterTest, AFloodWritesBoundedLinesAndSaysHowManyWereSuppressed) {
  common::LogLimiter limiter(3);
  testing::internal::CaptureStderr();
  for (int i = 0; i < 1000; ++i) common::log_limited(limiter, "refused ", i);
  // Past the second the flood started in, the next line carries the count.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  common::log_limited(limiter, "refused again");
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 4) << out;
  EXPECT_NE(out.find("refused again ... (suppressed 997)\n"), std::string::npos) << out;
}

}  // namespace

#include "common/log.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

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

}  // namespace

#include "common/log.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace {

TEST(LogTest, WritesOneTimestampedLinePerCall) {
  testing::internal::CaptureStderr();
  common::log("backend ", "10.0.0.2:8080", " down after ", 3, " failures");
  common::log_line("second");
  const std::string out = testing::internal::GetCapturedStderr();
  const std::regex line(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (.*)\n)");
  std::smatch match;
  const std::string first_line = out.substr(0, out.find('\n') + 1);
  ASSERT_TRUE(std::regex_match(first_line, match, line)) << out;
  EXPECT_EQ(match[1], "backend 10.0.0.2:8080 down after 3 failures");
  const std::string second_line = out.substr(first_line.size());
  ASSERT_TRUE(std::regex_match(second_line, match, line)) << out;
  EXPECT_EQ(match[1], "second");
}

}  // namespace

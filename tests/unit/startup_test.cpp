#include "common/startup.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

TEST(StartupTest, CheckedReturnsTheValue) {
  EXPECT_EQ(common::checked("--n", common::Result<int>(7)), 7);
}

TEST(StartupTest, CheckedThrowsBadFlagNamingTheFlagAndTheError) {
  const common::Result<int> failed = common::invalid_value("2x", "unknown unit 'x'");
  try {
    common::checked("--idle-timeout", failed);
    FAIL() << "no BadFlag thrown";
  } catch (const common::BadFlag& e) {
    EXPECT_EQ(std::string(e.what()), "--idle-timeout: 2x: unknown unit 'x'");
  }
}

TEST(StartupTest, StartupFailurePrintsOneLineAndReturnsTheStatus) {
  testing::internal::CaptureStderr();
  const int status = common::startup_failure("web_server", "bind 127.0.0.1:80: Permission denied",
                                             common::kExitUsage);
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "web_server: bind 127.0.0.1:80: Permission denied\n");
  EXPECT_EQ(status, 2);
  testing::internal::CaptureStderr();
  EXPECT_EQ(common::startup_failure("client", "x"), 1);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "client: x\n");
}

}  // namespace

// --version on every executable: the project version and the commit it was built from.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "tests/integration/harness.hpp"

namespace {

using namespace std::chrono_literals;

class VersionTest : public testing::TestWithParam<const char*> {};

TEST_P(VersionTest, PrintsTheVersionAndTheCommitAndExitsZero) {
  const std::string name = GetParam();
  const harness::Ran ran = harness::run({harness::exe(name), "--version"}, 30s);
  EXPECT_EQ(ran.status, 0) << ran.err;
  // "unknown" stands for the commit when the build was not from a git checkout.
  const std::regex line(name + R"( [0-9]+\.[0-9]+\.[0-9]+ \(commit ([0-9a-f]{7,}|unknown)\)\n)");
  EXPECT_TRUE(std::regex_match(ran.out, line)) << ran.out;
  EXPECT_EQ(ran.err, "");
}

INSTANTIATE_TEST_SUITE_P(Executables, VersionTest,
                         testing::Values("load_balancer", "web_server", "client"),
                         [](const testing::TestParamInfo<const char*>& param_info) {
                           return std::string(param_info.param);
                         });

}  // namespace

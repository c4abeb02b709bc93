#include "load_balancer/backends_file.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "tests/unit/temp_dir.hpp"

namespace lb {
namespace {

struct FileCase {
  const char* name;
  const char* text;
  const char* expected;  // "name@weight,..." or "error: <message>"
};

std::string spelled(const common::Result<std::vector<BackendSpec>>& parsed) {
  if (!parsed) return "error: " + parsed.error().message;
  std::string out;
  for (const BackendSpec& spec : *parsed) {
    out += (out.empty() ? "" : ",") + spec.name + "@" + std::to_string(spec.weight);
  }
  return out;
}

const FileCase kFileCases[] = {
    {"Empty", "", ""},
    {"OneLine", "127.0.0.1:8081\n", "127.0.0.1:8081@1"},
    {"NoFinalNewline", "127.0.0.1:8081", "127.0.0.1:8081@1"},
    {"Weights", "127.0.0.1:8081 weight=3\n127.0.0.1:8082\tweight=256\n",
     "127.0.0.1:8081@3,127.0.0.1:8082@256"},
    {"CommentsAndBlankLines",
     "# the web tier\n\n  127.0.0.1:8081   # first\n   \n127.0.0.1:8082 weight=2 # second\n#end",
     "127.0.0.1:8081@1,127.0.0.1:8082@2"},
    {"CarriageReturns", "127.0.0.1:8081\r\n127.0.0.1:8082 weight=2\r\n",
     "127.0.0.1:8081@1,127.0.0.1:8082@2"},
    {"IPv6", "[::1]:8081 weight=4\n", "[::1]:8081@4"},
    {"BadAddressNamesTheLine", "127.0.0.1:8081\n\nlocalhost\n",
     "error: be.txt:3: localhost: missing ':port'"},
    {"WeightZero", "# x\n127.0.0.1:8081 weight=0\n",
     "error: be.txt:2: weight=0: weight must be 1..256"},
    {"WeightTooLarge", "127.0.0.1:8081 weight=257\n",
     "error: be.txt:1: weight=257: weight must be 1..256"},
    {"WeightNotANumber", "127.0.0.1:8081 weight=x\n",
     "error: be.txt:1: weight=x: weight must be 1..256"},
    {"UnknownOption", "127.0.0.1:8081 backup\n",
     "error: be.txt:1: backup: unexpected (expected weight=N)"},
    {"TooManyWords", "127.0.0.1:8081 weight=2 weight=3\n",
     "error: be.txt:1: weight=3: unexpected (one weight=N at most)"},
    {"AtWeightRefused", "127.0.0.1:8081@2\n",
     "error: be.txt:1: 127.0.0.1:8081@2: write the weight as weight=N"},
    {"PortZero", "127.0.0.1:0\n",
     "error: be.txt:1: 127.0.0.1:0: port 0 names no server (expected 1-65535)"},
    {"Repeated", "127.0.0.1:8081\n127.0.0.1:8082\n127.0.0.1:8081 weight=2\n",
     "error: be.txt:3: 127.0.0.1:8081: listed already on line 1"},
};

class BackendsFileTest : public testing::TestWithParam<FileCase> {};

TEST_P(BackendsFileTest, ParsesOrNamesTheFileAndLine) {
  EXPECT_EQ(spelled(parse_backends_file(GetParam().text, "be.txt")), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(Table, BackendsFileTest, testing::ValuesIn(kFileCases),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(BackendsFileTest, ReadsAFileAndNamesOneThatIsMissing) {
  const test_support::TempDir dir;
  const std::string path = (dir.path() / "backends.txt").string();
  std::ofstream(path) << "127.0.0.1:9001 weight=2\n";
  EXPECT_EQ(spelled(read_backends_file(path)), "127.0.0.1:9001@2");
  const std::string missing = (dir.path() / "none.txt").string();
  EXPECT_EQ(spelled(read_backends_file(missing)),
            "error: open " + missing + ": No such file or directory");
}

TEST(BackendLineTest, IsWhatPostBackendsTakes) {
  auto spec = parse_backend_line("  127.0.0.1:9001 weight=7 ");
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->name, "127.0.0.1:9001");
  EXPECT_EQ(spec->weight, 7u);
  EXPECT_FALSE(parse_backend_line("   ").ok());
}

std::vector<BackendSpec> specs(const char* text) { return *parse_backends_file(text, "t"); }

std::string names(const std::vector<BackendSpec>& list) {
  std::string out;
  for (const BackendSpec& spec : list) {
    out += (out.empty() ? "" : ",") + spec.name + "@" + std::to_string(spec.weight);
  }
  return out;
}

TEST(BackendsDiffTest, FindsAddedRemovedAndReweighed) {
  const auto before = specs("127.0.0.1:1\n127.0.0.1:2 weight=2\n127.0.0.1:3\n");
  const auto after = specs("127.0.0.1:3\n127.0.0.1:2 weight=5\n127.0.0.1:4\n");
  const BackendsDiff diff = diff_backends(before, after);
  EXPECT_EQ(names(diff.added), "127.0.0.1:4@1");
  EXPECT_EQ(names(diff.removed), "127.0.0.1:1@1");
  EXPECT_EQ(names(diff.reweighed), "127.0.0.1:2@5");
  EXPECT_TRUE(diff_backends(after, after).empty());
}

}  // namespace
}  // namespace lb

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "web_server/store/store.hpp"
#include "web_server/store/version.hpp"

namespace web::store {
namespace {

TEST(StoreVersionTest, PrintsHlcAndSixteenHexDigits) {
  EXPECT_EQ(to_string(Version{123, 0xabc}), "123-0000000000000abc");
  EXPECT_EQ(to_string(Version{0, 0}), "0-0000000000000000");
  EXPECT_EQ(to_string(Version{UINT64_MAX, UINT64_MAX}), "18446744073709551615-ffffffffffffffff");
}

TEST(StoreVersionTest, ParseIsTheInverseOfToString) {
  for (const Version v : {Version{0, 1}, Version{1, 0}, Version{(1ull << 62) + 7, 0x0123456789abcdef},
                          Version{UINT64_MAX, UINT64_MAX}}) {
    const std::optional<Version> parsed = parse_version(to_string(v));
    ASSERT_TRUE(parsed) << to_string(v);
    EXPECT_EQ(*parsed, v);
  }
}

TEST(StoreVersionTest, RejectsAnythingButTheExactForm) {
  for (const char* bad : {"", "-", "1-", "-0000000000000001", "1-000000000000001",
                          "1-00000000000000001", "1-000000000000000G", "1-000000000000000A",
                          "01-0000000000000001", "+1-0000000000000001", " 1-0000000000000001",
                          "1-0000000000000001 ", "1--000000000000001", "1_0000000000000001",
                          "18446744073709551616-0000000000000001", "1.5-0000000000000001",
                          "\"1-0000000000000001\"", "1-0x00000000000001"}) {
    EXPECT_FALSE(parse_version(bad)) << '"' << bad << '"';
  }
}

TEST(StoreVersionTest, OrdersByHlcThenOrigin) {
  EXPECT_LT((Version{1, 9}), (Version{2, 1}));
  EXPECT_LT((Version{2, 1}), (Version{2, 9}));
  EXPECT_EQ((Version{2, 9}), (Version{2, 9}));
}

struct KeyCase {
  const char* name;
  std::string key;
  bool valid;
};

class ValidKeyTest : public testing::TestWithParam<KeyCase> {};

TEST_P(ValidKeyTest, AcceptsOnlyUrlSafeKeys) {
  EXPECT_EQ(valid_key(GetParam().key), GetParam().valid) << '"' << GetParam().key << '"';
}

INSTANTIATE_TEST_SUITE_P(
    Keys, ValidKeyTest,
    testing::Values(KeyCase{"Simple", "a", true}, KeyCase{"Nested", "users/42/name", true},
                    KeyCase{"AllPunctuation", "a._~:@!$'()*+,;=-b", true},
                    KeyCase{"DotsInsideSegment", "a/.b/c..d/...", true},
                    KeyCase{"MaxLength", std::string(256, 'k'), true},
                    KeyCase{"Empty", "", false}, KeyCase{"TooLong", std::string(257, 'k'), false},
                    KeyCase{"Dot", ".", false}, KeyCase{"DotDot", "..", false},
                    KeyCase{"DotSegment", "a/./b", false}, KeyCase{"DotDotSegment", "a/../b", false},
                    KeyCase{"TrailingDotDot", "a/..", false}, KeyCase{"DoubleSlash", "a//b", false},
                    KeyCase{"LeadingSlash", "/a", false}, KeyCase{"TrailingSlash", "a/", false},
                    KeyCase{"OnlySlash", "/", false}, KeyCase{"Space", "a b", false},
                    KeyCase{"Percent", "a%20b", false}, KeyCase{"Newline", "a\nb", false},
                    KeyCase{"Nul", std::string("a\0b", 3), false}, KeyCase{"Del", "a\x7f", false},
                    KeyCase{"Tab", "\t", false}, KeyCase{"Quote", "a\"b", false},
                    KeyCase{"Backslash", "a\\b", false}, KeyCase{"Question", "a?b", false},
                    KeyCase{"Hash", "a#b", false}, KeyCase{"Utf8", "caf\xc3\xa9", false},
                    KeyCase{"Angle", "<a>", false}),
    [](const testing::TestParamInfo<KeyCase>& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace web::store

#include "common/utf8.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace common {
namespace {

struct Utf8Case {
  const char* name;
  std::string text;
  bool valid;
  // For invalid text: the index of the first byte after which the bytes so far cannot begin
  // valid UTF-8; npos when every prefix could (the text only stops short).
  size_t fails_at = std::string::npos;
};
void PrintTo(const Utf8Case& c, std::ostream* os) { *os << c.name; }

const Utf8Case kUtf8Cases[] = {
    {"Empty", "", true},
    {"Ascii", "hello", true},
    {"TwoBytes", "caf\xc3\xa9", true},
    {"ThreeBytes", "\xe2\x82\xac", true},
    {"FourBytes", "\xf0\x9f\x98\x80", true},
    {"LargestCodePoint", "\xf4\x8f\xbf\xbf", true},
    {"LastBeforeSurrogates", "\xed\x9f\xbf", true},
    {"FirstAfterSurrogates", "\xee\x80\x80", true},
    {"LoneContinuation", "\x80", false, 0},
    {"TruncatedSequence", "\xe2\x82", false},
    {"OverlongSlash", "\xc0\xaf", false, 0},
    {"OverlongTwoBytesC1", "\xc1\xbf", false, 0},
    {"OverlongThreeBytes", "\xe0\x80\xaf", false, 1},
    {"OverlongFourBytes", "\xf0\x8f\xbf\xbf", false, 1},
    {"Surrogate", "\xed\xa0\x80", false, 1},
    {"AboveMaximum", "\xf4\x90\x80\x80", false, 1},
    {"LeadF5", "\xf5\x80\x80\x80", false, 0},
    {"InvalidLeadByte", "\xff", false, 0},
    {"BadContinuation", "\xc3\x28", false, 1},
    {"BadThirdByte", "\xe2\x82\x28", false, 2},
    // Autobahn 6.4.1: "κόσμε", then U+110000, then "edited"; invalid exactly on byte 12.
    {"Autobahn_6_4_1",
     "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80"
     "edited",
     false, 12},
};

class Utf8Test : public testing::TestWithParam<Utf8Case> {};

TEST_P(Utf8Test, ValidatesStrictly) { EXPECT_EQ(valid_utf8(GetParam().text), GetParam().valid); }

TEST_P(Utf8Test, FailsOnTheFirstByteThatCannotBeginValidUtf8) {
  const Utf8Case& c = GetParam();
  Utf8Validator validator;
  size_t failed_at = std::string::npos;
  for (size_t i = 0; i < c.text.size(); ++i) {
    if (!validator.feed(c.text.substr(i, 1))) {
      failed_at = i;
      break;
    }
  }
  EXPECT_EQ(failed_at, c.fails_at);
  EXPECT_EQ(validator.complete(), c.valid);
}

// However the text is cut in two, the validator ends where validating it whole does.
TEST_P(Utf8Test, TwoPiecesEndLikeTheWhole) {
  const std::string& text = GetParam().text;
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    Utf8Validator validator;
    validator.feed(std::string_view(text).substr(0, cut));
    validator.feed(std::string_view(text).substr(cut));
    EXPECT_EQ(validator.complete(), GetParam().valid) << "cut at " << cut;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, Utf8Test, testing::ValuesIn(kUtf8Cases),
                         [](const testing::TestParamInfo<Utf8Case>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(Utf8ValidatorTest, StaysInvalidOnceInvalid) {
  Utf8Validator validator;
  EXPECT_FALSE(validator.feed("\xff"));
  EXPECT_FALSE(validator.feed("ok"));
  EXPECT_FALSE(validator.complete());
}

}  // namespace
}  // namespace common

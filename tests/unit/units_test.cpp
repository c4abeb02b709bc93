#include "common/units.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace {

using std::chrono::milliseconds;

struct DurationCase {
  const char* name;
  const char* text;
  milliseconds expected;
};

class ParseDurationGood : public testing::TestWithParam<DurationCase> {};

TEST_P(ParseDurationGood, Parses) {
  const DurationCase& c = GetParam();
  auto d = common::parse_duration(c.text);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->count(), c.expected.count());
}

INSTANTIATE_TEST_SUITE_P(UnitsTest, ParseDurationGood,
                         testing::Values(DurationCase{"zero", "0", milliseconds(0)},
                                         DurationCase{"ms", "500ms", milliseconds(500)},
                                         DurationCase{"seconds", "2s", milliseconds(2000)},
                                         DurationCase{"minutes", "1m", milliseconds(60000)},
                                         DurationCase{"hours", "1h", milliseconds(3600000)},
                                         DurationCase{"us_rounds_up", "250us", milliseconds(1)},
                                         DurationCase{"us_exact", "3000us", milliseconds(3)},
                                         DurationCase{"us_just_over", "3001us", milliseconds(4)},
                                         DurationCase{"us_zero", "0us", milliseconds(0)},
                                         DurationCase{"zero_seconds", "0s", milliseconds(0)}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

struct SizeCase {
  const char* name;
  const char* text;
  uint64_t expected;
};

class ParseSizeGood : public testing::TestWithParam<SizeCase> {};

TEST_P(ParseSizeGood, Parses) {
  const SizeCase& c = GetParam();
  auto size = common::parse_size(c.text);
  ASSERT_TRUE(size.ok()) << size.error().message;
  EXPECT_EQ(*size, c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    UnitsTest, ParseSizeGood,
    testing::Values(SizeCase{"bare", "512", 512}, SizeCase{"zero", "0", 0},
                    SizeCase{"bytes", "512b", 512}, SizeCase{"kilo", "16k", 16 * 1024},
                    SizeCase{"kilo_upper", "16K", 16 * 1024}, SizeCase{"kb", "16kb", 16 * 1024},
                    SizeCase{"kib", "16KiB", 16 * 1024}, SizeCase{"mega", "1m", 1024 * 1024},
                    SizeCase{"mb", "1MB", 1024 * 1024}, SizeCase{"giga", "2g", uint64_t{2} << 30},
                    SizeCase{"gib", "2GiB", uint64_t{2} << 30},
                    SizeCase{"max", "18446744073709551615", std::numeric_limits<uint64_t>::max()}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

struct BadCase {
  const char* name;
  const char* text;
  const char* message;
};

class ParseDurationBad : public testing::TestWithParam<BadCase> {};

TEST_P(ParseDurationBad, RejectsWithReason) {
  const BadCase& c = GetParam();
  auto d = common::parse_duration(c.text);
  ASSERT_FALSE(d.ok()) << "parsed as " << d->count() << "ms";
  EXPECT_EQ(d.error().code, common::Errc::invalid_argument);
  EXPECT_EQ(d.error().message, c.message);
}

INSTANTIATE_TEST_SUITE_P(
    UnitsTest, ParseDurationBad,
    testing::Values(
        BadCase{"empty", "", "empty duration"},
        BadCase{"negative", "-5s", "-5s: must not be negative"},
        BadCase{"no_number", "ms", "ms: expected a number first"},
        BadCase{"leading_space", " 5s", " 5s: expected a number first"},
        BadCase{"unknown_unit", "2x", "2x: unknown unit 'x' (use us, ms, s, m or h)"},
        BadCase{"upper_case_unit", "2S", "2S: unknown unit 'S' (use us, ms, s, m or h)"},
        BadCase{"fraction", "1.5s", "1.5s: unknown unit '.5s' (use us, ms, s, m or h)"},
        BadCase{"trailing_space", "5s ", "5s : unknown unit 's ' (use us, ms, s, m or h)"},
        BadCase{"number_overflow", "99999999999999999999ms",
                "99999999999999999999ms: number out of range"},
        BadCase{"unit_overflow", "9223372036854775807h", "9223372036854775807h: out of range"},
        BadCase{"ms_overflow", "9223372036854775808ms", "9223372036854775808ms: out of range"},
        BadCase{"bare_number", "10", "10: a duration needs a unit, such as 10s"},
        BadCase{"bare_number_large", "250", "250: a duration needs a unit, such as 250s"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

class ParseSizeBad : public testing::TestWithParam<BadCase> {};

TEST_P(ParseSizeBad, RejectsWithReason) {
  const BadCase& c = GetParam();
  auto size = common::parse_size(c.text);
  ASSERT_FALSE(size.ok()) << "parsed as " << *size;
  EXPECT_EQ(size.error().code, common::Errc::invalid_argument);
  EXPECT_EQ(size.error().message, c.message);
}

INSTANTIATE_TEST_SUITE_P(
    UnitsTest, ParseSizeBad,
    testing::Values(BadCase{"empty", "", "empty size"},
                    BadCase{"negative", "-1k", "-1k: must not be negative"},
                    BadCase{"no_number", "k", "k: expected a number first"},
                    BadCase{"unknown_unit", "16x", "16x: unknown unit 'x' (use k, m or g)"},
                    BadCase{"terabytes", "1t", "1t: unknown unit 't' (use k, m or g)"},
                    BadCase{"ib_alone", "512ib", "512ib: unknown unit 'ib' (use k, m or g)"},
                    BadCase{"junk_after_unit", "16kx", "16kx: unknown unit 'kx' (use k, m or g)"},
                    BadCase{"number_overflow", "18446744073709551616",
                            "18446744073709551616: number out of range"},
                    BadCase{"unit_overflow", "17179869184g", "17179869184g: out of range"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace

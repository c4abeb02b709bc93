#include "common/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace common {
namespace {

// The exact answer percentile() approximates: the value of rank ceil(p% * n) in sorted order.
// Percents come in tenths (999 = 99.9%) so that the rank is computed in integers.
uint64_t exact_percentile(const std::vector<uint64_t>& sorted, uint64_t tenths_of_percent) {
  const uint64_t n = sorted.size();
  const uint64_t rank = std::clamp<uint64_t>((tenths_of_percent * n + 999) / 1000, 1, n);
  return sorted[rank - 1];
}

void expect_within_one_percent(uint64_t actual, uint64_t exact, const std::string& what) {
  const double error = std::abs(static_cast<double>(actual) - static_cast<double>(exact));
  EXPECT_LE(error, static_cast<double>(exact) * 0.01) << what << ": " << actual << " vs " << exact;
}

TEST(HistogramTest, EmptyHistogramReportsZeros) {
  const Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_TRUE(h.distribution().empty());
}

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v = 0; v < 256; ++v) {
    EXPECT_EQ(Histogram::bucket_upper(Histogram::bucket_index(v)), v);
    h.record(v);
  }
  EXPECT_EQ(h.percentile(50), 127u);
  EXPECT_EQ(h.percentile(100), 255u);
  EXPECT_EQ(h.percentile(0), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 255u);
  EXPECT_DOUBLE_EQ(h.mean(), 127.5);
}

// 7% of 100 values is the 7th, although 7.0 / 100 * 100 is 7.000000000000001 in doubles.
TEST(HistogramTest, PercentileRankIgnoresRoundingNoise) {
  Histogram h;
  for (uint64_t v = 1; v <= 100; ++v) h.record(v);
  EXPECT_EQ(h.percentile(7.0), 7u);
  EXPECT_EQ(h.percentile(7.01), 8u);
}

// Each value lands in a bucket whose upper edge is at or above it, within 1%, and above the
// previous bucket's upper edge: buckets tile the range without gaps or overlaps.
TEST(HistogramTest, BucketsTileTheRangeWithinOnePercent) {
  std::vector<uint64_t> values;
  for (uint64_t p = 1; p <= Histogram::kMaxValue; p <<= 1) {
    values.insert(values.end(), {p - 1, p, p + 1, p + p / 3});
  }
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100000; ++i) {
    values.push_back(std::uniform_int_distribution<uint64_t>(0, Histogram::kMaxValue)(rng));
  }
  for (const uint64_t v : values) {
    const size_t index = Histogram::bucket_index(v);
    const uint64_t upper = Histogram::bucket_upper(index);
    ASSERT_GE(upper, v);
    expect_within_one_percent(upper, v, "bucket upper of " + std::to_string(v));
    if (index > 0) {
      ASSERT_LT(Histogram::bucket_upper(index - 1), v) << v;
    }
  }
}

TEST(HistogramTest, IndexGrowsWithValue) {
  size_t last = 0;
  for (uint64_t v = 0; v <= Histogram::kMaxValue; v += 1 + v / 1000) {
    const size_t index = Histogram::bucket_index(v);
    ASSERT_GE(index, last) << v;
    last = index;
  }
}

TEST(HistogramTest, ValuesAboveTheRangeShareTheTopBucket) {
  const size_t top = Histogram::bucket_index(UINT64_MAX);
  EXPECT_EQ(Histogram::bucket_index(Histogram::kMaxValue * 4), top);
  EXPECT_GE(top, Histogram::bucket_index(Histogram::kMaxValue));
  EXPECT_EQ(Histogram::bucket_upper(top), UINT64_MAX);

  Histogram h;
  h.record(10);
  h.record(Histogram::kMaxValue * 10);
  EXPECT_EQ(h.max(), Histogram::kMaxValue * 10);
  EXPECT_EQ(h.percentile(100), Histogram::kMaxValue * 10);  // bounded by the true maximum
  EXPECT_EQ(h.percentile(50), 10u);
}

struct Workload {
  const char* name;
  std::function<uint64_t(std::mt19937_64&)> draw;
};

// Percentiles of several latency shapes agree with the exact sorted answer within 1%.
TEST(HistogramTest, PercentilesWithinOnePercentOfExact) {
  const Workload workloads[] = {
      {"uniform_small", [](auto& rng) { return std::uniform_int_distribution<uint64_t>(0, 300)(rng); }},
      {"uniform_wide",
       [](auto& rng) { return std::uniform_int_distribution<uint64_t>(1, Histogram::kMaxValue)(rng); }},
      {"lognormal_ms",
       [](auto& rng) { return static_cast<uint64_t>(std::lognormal_distribution<>(7.0, 1.5)(rng)); }},
      {"exponential_tail",
       [](auto& rng) { return static_cast<uint64_t>(std::exponential_distribution<>(1e-4)(rng)); }},
  };
  const uint64_t tenths[] = {0, 10, 250, 500, 750, 900, 950, 990, 999, 1000};
  std::mt19937_64 rng(42);
  for (const Workload& w : workloads) {
    Histogram h;
    std::vector<uint64_t> values(20011);  // not a round number: ranks fall between values
    for (uint64_t& v : values) {
      v = w.draw(rng);
      h.record(v);
    }
    std::sort(values.begin(), values.end());
    for (const uint64_t t : tenths) {
      const uint64_t got = h.percentile(static_cast<double>(t) / 10.0);
      const uint64_t want = exact_percentile(values, t);
      expect_within_one_percent(got, want, std::string(w.name) + " tenths " + std::to_string(t));
      EXPECT_GE(got, want) << w.name;  // a bucket reports its upper edge
    }
    EXPECT_EQ(h.min(), values.front());
    EXPECT_EQ(h.max(), values.back());
  }
}

TEST(HistogramTest, PercentileGrowsWithPercent) {
  Histogram h;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 5000; ++i) h.record(std::uniform_int_distribution<uint64_t>(0, 1000000)(rng));
  uint64_t last = 0;
  for (double p = 0; p <= 100; p += 0.5) {
    const uint64_t v = h.percentile(p);
    EXPECT_GE(v, last) << p;
    last = v;
  }
}

TEST(HistogramTest, MergeEqualsRecordingEverything) {
  Histogram all;
  Histogram a;
  Histogram b;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 10000; ++i) {
    const uint64_t v = std::uniform_int_distribution<uint64_t>(0, 5000000)(rng);
    all.record(v);
    (i % 3 == 0 ? a : b).record(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
  for (const double p : {1.0, 50.0, 99.0, 99.9}) EXPECT_EQ(a.percentile(p), all.percentile(p));
  const auto da = a.distribution();
  const auto dall = all.distribution();
  ASSERT_EQ(da.size(), dall.size());
  for (size_t i = 0; i < da.size(); ++i) {
    EXPECT_EQ(da[i].value_us, dall[i].value_us);
    EXPECT_EQ(da[i].count, dall[i].count);
  }
}

TEST(HistogramTest, MergingAnEmptyHistogramChangesNothing) {
  Histogram h;
  h.record(7);
  h.merge(Histogram{});
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.min(), 7u);
  EXPECT_EQ(h.max(), 7u);
  Histogram empty;
  empty.merge(h);
  EXPECT_EQ(empty.min(), 7u);
  EXPECT_EQ(empty.percentile(50), 7u);
}

TEST(HistogramTest, DistributionIsCumulativeAndOrdered) {
  Histogram h;
  for (const uint64_t v : {5, 5, 5, 1000, 1000, 2000000}) h.record(v);
  const auto points = h.distribution();
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0].value_us, 5u);
  EXPECT_EQ(points[0].count, 3u);
  EXPECT_DOUBLE_EQ(points[0].percent, 50.0);
  EXPECT_EQ(points[1].value_us, Histogram::bucket_upper(Histogram::bucket_index(1000)));
  EXPECT_EQ(points[1].count, 2u);
  EXPECT_EQ(points[2].value_us, 2000000u);  // the last point is the true maximum
  EXPECT_DOUBLE_EQ(points[2].percent, 100.0);
}

}  // namespace
}  // namespace common

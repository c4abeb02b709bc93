// A log-linear latency histogram (the HdrHistogram idea): constant memory, at most 1% relative
// error, from 1 microsecond to about a minute; values above the range count in the top bucket.
// Not thread-safe: keep one per thread and merge() after joining.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace common {

class Histogram {
 public:
  static constexpr int kSubBits = 7;  // 128 linear sub-buckets per power of two: < 1% error
  static constexpr uint64_t kMaxValue = 64ull * 1000 * 1000;  // microseconds (~64 s)

  void record(uint64_t value_us);
  void merge(const Histogram& other);

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const {
    return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0;
  }
  double stddev() const;  // of the recorded values themselves, not of their buckets
  // The smallest recorded value v such that at least `percent`% of values are <= v (within 1%).
  uint64_t percentile(double percent) const;

  struct Point {
    uint64_t value_us;
    double percent;  // cumulative share of values <= value_us
    uint64_t count;
  };
  // Non-empty buckets in increasing order, for plotting the distribution.
  std::vector<Point> distribution() const;

  // Values below 2^kSubBits have a bucket each; above, a power of two [2^e, 2^(e+1)) is split
  // into 2^kSubBits equal buckets. Values of 2^bit_width(kMaxValue) and more share the last one.
  static size_t bucket_index(uint64_t value);
  static uint64_t bucket_upper(size_t index);  // the largest value that maps to index

  static constexpr int kTopBits = static_cast<int>(std::bit_width(kMaxValue));
  // In HdrHistogram's terms: this many powers of two ("buckets") of kSubBuckets each.
  static constexpr int kPowers = kTopBits - kSubBits + 1;
  static constexpr int kSubBuckets = 1 << kSubBits;

 private:
  static constexpr size_t kBuckets = static_cast<size_t>(kTopBits - kSubBits + 1) << kSubBits;
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0, sum_ = 0, min_ = UINT64_MAX, max_ = 0;
  double sum_squares_ = 0;  // for stddev(); a double, since squares of minutes overflow 64 bits
};

}  // namespace common

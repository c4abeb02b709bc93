#include "common/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace common {
namespace {

constexpr uint64_t kSubCount = uint64_t{1} << Histogram::kSubBits;
constexpr uint64_t kSubMask = kSubCount - 1;

}  // namespace

size_t Histogram::bucket_index(uint64_t value) {
  if (value < kSubCount) return static_cast<size_t>(value);
  if (value >> kTopBits) return kBuckets - 1;
  // The bits just below the leading one pick the sub-bucket within the power of two.
  const int shift = static_cast<int>(std::bit_width(value)) - 1 - kSubBits;
  return static_cast<size_t>((static_cast<uint64_t>(shift + 1) << kSubBits) +
                             ((value >> shift) & kSubMask));
}

uint64_t Histogram::bucket_upper(size_t index) {
  if (index < kSubCount) return index;
  if (index >= kBuckets - 1) return UINT64_MAX;
  const size_t shift = (index >> kSubBits) - 1;
  return ((kSubCount + (index & kSubMask) + 1) << shift) - 1;
}

void Histogram::record(uint64_t value_us) {
  ++counts_[bucket_index(value_us)];
  ++count_;
  sum_ += value_us;
  sum_squares_ += static_cast<double>(value_us) * static_cast<double>(value_us);
  min_ = std::min(min_, value_us);
  max_ = std::max(max_, value_us);
}

void Histogram::merge(const Histogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  sum_squares_ += other.sum_squares_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

double Histogram::stddev() const {
  if (count_ == 0) return 0;
  const double m = mean();
  // Rounding can make the variance of equal values slightly negative.
  return std::sqrt(std::max(0.0, sum_squares_ / static_cast<double>(count_) - m * m));
}

uint64_t Histogram::percentile(double percent) const {
  if (count_ == 0) return 0;
  // The rank of the wanted value; the tolerance keeps 99.9% of 10000 at 9990, not 9991.
  const double exact = percent / 100.0 * static_cast<double>(count_);
  const double rank = std::clamp(std::ceil(exact - exact * 1e-9), 1.0, static_cast<double>(count_));
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    // A bucket's upper edge overstates by < 1%; the largest recorded value bounds it exactly.
    if (static_cast<double>(seen) >= rank) return std::min(bucket_upper(i), max_);
  }
  return max_;
}

std::vector<Histogram::Point> Histogram::distribution() const {
  std::vector<Point> points;
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    if (counts_[i] == 0) continue;
    seen += counts_[i];
    points.push_back({std::min(bucket_upper(i), max_),
                      100.0 * static_cast<double>(seen) / static_cast<double>(count_), counts_[i]});
  }
  return points;
}

}  // namespace common

#include "load_balancer/backend_stats.hpp"

#include <algorithm>

namespace lb {

namespace {

// The bucket a latency falls in: the first bound >= it, else the +Inf bucket.
size_t latency_bucket(uint64_t micros) {
  const auto at = std::lower_bound(kLatencyBoundsUs.begin(), kLatencyBoundsUs.end(), micros);
  return static_cast<size_t>(at - kLatencyBoundsUs.begin());
}

}  // namespace

void BackendStats::record_response(int status, std::chrono::microseconds duration) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  if (status >= 100 && status <= 599) {
    classes_[static_cast<size_t>(status / 100 - 1)].fetch_add(1, std::memory_order_relaxed);
  }
  const uint64_t micros = static_cast<uint64_t>(std::max<int64_t>(duration.count(), 0));
  buckets_[latency_bucket(micros)].fetch_add(1, std::memory_order_relaxed);
  latency_sum_us_.fetch_add(micros, std::memory_order_relaxed);
}

BackendCounters BackendStats::snapshot() const {
  BackendCounters out;
  out.requests = requests_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < classes_.size(); ++i) {
    out.classes[i] = classes_[i].load(std::memory_order_relaxed);
  }
  out.retries = retries_.load(std::memory_order_relaxed);
  out.failures = failures_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < buckets_.size(); ++i) {
    out.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
    out.latency_count += out.buckets[i];
  }
  out.latency_sum_us = latency_sum_us_.load(std::memory_order_relaxed);
  return out;
}

}  // namespace lb

// The admin side's view over time: once a second it samples every backend's counters and keeps
// five minutes of samples, from which it computes requests/s (counter deltas, so the hot path
// only ever increments), the error rate and the p99 latency of the last few seconds, and the
// requests/s history the dashboard charts. Thread-safe: one thread samples, others read.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "load_balancer/backend.hpp"
#include "load_balancer/backend_stats.hpp"

namespace lb {

// The q-quantile (0..1) of latencies counted in `buckets` (kLatencyBoundsUs; not cumulative), in
// milliseconds, interpolated linearly within its bucket as Prometheus' histogram_quantile does;
// the +Inf bucket answers with the largest finite bound. 0 when nothing was counted.
double latency_quantile_ms(const std::array<uint64_t, kLatencyBuckets>& buckets, double q);

class Sampler {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kHistory = 300;  // seconds of requests/s kept for the chart
  static constexpr size_t kWindow = 10;    // seconds the error rate and p99 are computed over

  struct Rates {
    double requests_per_s = 0;  // over the last interval between two samples
    double error_rate = 0;      // 0..1 over kWindow: 5xx, failures on live traffic, failed connects
    double p99_ms = 0;          // over kWindow
    std::vector<double> history;  // requests/s per sampling interval, oldest first
  };

  // One sample of each of `backends` taken at `now`; backends no longer listed are forgotten.
  void sample(const std::vector<std::shared_ptr<Backend>>& backends, Clock::time_point now);
  // What the samples say about `backend`; all zero before its second sample.
  Rates rates(const Backend& backend) const;

 private:
  struct Sample {
    Clock::time_point at;
    uint64_t requests = 0;
    uint64_t errors = 0;
    uint64_t attempts = 0;
    std::array<uint64_t, kLatencyBuckets> buckets{};
  };
  struct Series {
    std::weak_ptr<Backend> owner;  // a backend removed and added again starts a new series
    std::deque<Sample> samples;    // oldest first, at most kHistory + 1
  };

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Series> series_;  // by backend name; guarded by mutex_
};

}  // namespace lb

// What the admin side reports per backend, recorded on the hot path with relaxed atomics only:
// every connection thread that serves the backend adds to these counters, nobody locks, and the
// admin thread reads a snapshot whose fields may be a few requests apart (fine for monitoring).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace lb {

// Upper bounds of the latency buckets, in microseconds: Prometheus' usual spread from 0.5 ms to
// 10 s. A histogram of a few fixed buckets (not common::Histogram's 1,500) keeps a per-second
// history of every backend cheap; p99 is then interpolated within its bucket.
inline constexpr std::array<uint64_t, 14> kLatencyBoundsUs{
    500,    1000,   2500,   5000,    10000,   25000,   50000,
    100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};
inline constexpr size_t kLatencyBuckets = kLatencyBoundsUs.size() + 1;  // the last one: +Inf

struct BackendCounters {
  uint64_t requests = 0;              // answered by the backend (TCP mode: connections)
  std::array<uint64_t, 5> classes{};  // responses 1xx .. 5xx
  uint64_t retries = 0;               // requests replayed after it failed them
  uint64_t failures = 0;              // exchanges it failed on live traffic
  std::array<uint64_t, kLatencyBuckets> buckets{};  // per bucket, not cumulative
  uint64_t latency_sum_us = 0;
  uint64_t latency_count = 0;
};

class BackendStats {
 public:
  // One HTTP response the backend sent, `duration` from the request's first byte to the end
  // of its response. A status outside 100..599 counts as a request only.
  void record_response(int status, std::chrono::microseconds duration);
  void record_connection() { requests_.fetch_add(1, std::memory_order_relaxed); }  // TCP mode
  void record_retry() { retries_.fetch_add(1, std::memory_order_relaxed); }
  void record_failure() { failures_.fetch_add(1, std::memory_order_relaxed); }

  BackendCounters snapshot() const;

 private:
  std::atomic<uint64_t> requests_{0};
  std::array<std::atomic<uint64_t>, 5> classes_{};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> failures_{0};
  std::array<std::atomic<uint64_t>, kLatencyBuckets> buckets_{};
  std::atomic<uint64_t> latency_sum_us_{0};
};

}  // namespace lb

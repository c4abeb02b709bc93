// The cost of recording a latency (once per request in the client and the balancer) and of the
// summary work done once per report.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "common/histogram.hpp"

namespace {

using common::Histogram;

// Latencies shaped like real ones: a lognormal body around a millisecond with a long tail.
std::vector<uint64_t> latencies(size_t n) {
  std::mt19937_64 rng(1);
  std::lognormal_distribution<> shape(7.0, 1.0);
  std::vector<uint64_t> out(n);
  for (uint64_t& v : out) v = static_cast<uint64_t>(shape(rng));
  return out;
}

void BM_HistogramRecord(benchmark::State& state) {
  const std::vector<uint64_t> values = latencies(4096);
  Histogram h;
  benchmark::DoNotOptimize(&h);  // the counts escape, so recording cannot be elided
  size_t i = 0;
  for (auto _ : state) {
    h.record(values[i++ & 4095]);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_HistogramRecord);

void BM_HistogramPercentiles(benchmark::State& state) {
  Histogram h;
  for (const uint64_t v : latencies(100000)) h.record(v);
  for (auto _ : state) {
    for (const double p : {50.0, 90.0, 99.0, 99.9}) benchmark::DoNotOptimize(h.percentile(p));
  }
}
BENCHMARK(BM_HistogramPercentiles);

void BM_HistogramMerge(benchmark::State& state) {
  Histogram a;
  Histogram b;
  for (const uint64_t v : latencies(10000)) b.record(v);
  for (auto _ : state) {
    a.merge(b);
    benchmark::DoNotOptimize(a.count());
  }
}
BENCHMARK(BM_HistogramMerge);

}  // namespace

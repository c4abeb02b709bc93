#include "load_balancer/admin/sampler.hpp"

#include <algorithm>
#include <unordered_set>

namespace lb {

namespace {

double seconds_between(Sampler::Clock::time_point a, Sampler::Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

uint64_t delta(uint64_t before, uint64_t after) { return after > before ? after - before : 0; }

}  // namespace

double latency_quantile_ms(const std::array<uint64_t, kLatencyBuckets>& buckets, double q) {
  uint64_t total = 0;
  for (const uint64_t count : buckets) total += count;
  if (total == 0) return 0;
  const double rank = q * static_cast<double>(total);
  uint64_t seen = 0;
  for (size_t i = 0; i < kLatencyBoundsUs.size(); ++i) {
    if (buckets[i] == 0 || static_cast<double>(seen + buckets[i]) < rank) {
      seen += buckets[i];
      continue;
    }
    const double lower = i == 0 ? 0.0 : static_cast<double>(kLatencyBoundsUs[i - 1]);
    const double upper = static_cast<double>(kLatencyBoundsUs[i]);
    const double within = (rank - static_cast<double>(seen)) / static_cast<double>(buckets[i]);
    return (lower + (upper - lower) * std::clamp(within, 0.0, 1.0)) / 1000.0;
  }
  return static_cast<double>(kLatencyBoundsUs.back()) / 1000.0;
}

void Sampler::sample(const std::vector<std::shared_ptr<Backend>>& backends, Clock::time_point now) {
  std::unordered_set<std::string> present;
  std::lock_guard lock(mutex_);
  for (const std::shared_ptr<Backend>& backend : backends) {
    present.insert(backend->name());
    Series& series = series_[backend->name()];
    if (series.owner.lock() != backend) series = Series{backend, {}};
    const BackendCounters counters = backend->stats().snapshot();
    Sample s{now, counters.requests, 0, 0, counters.buckets};
    const uint64_t failed = counters.failures + backend->connect_failures();
    s.errors = counters.classes[4] + failed;
    s.attempts = counters.requests + failed;
    series.samples.push_back(s);
    if (series.samples.size() > kHistory + 1) series.samples.pop_front();
  }
  std::erase_if(series_, [&](const auto& entry) { return !present.contains(entry.first); });
}

Sampler::Rates Sampler::rates(const Backend& backend) const {
  Rates rates;
  std::lock_guard lock(mutex_);
  const auto found = series_.find(backend.name());
  if (found == series_.end() || found->second.owner.lock().get() != &backend) return rates;
  const std::deque<Sample>& samples = found->second.samples;
  if (samples.size() < 2) return rates;
  for (size_t i = 1; i < samples.size(); ++i) {
    const double span = seconds_between(samples[i - 1].at, samples[i].at);
    const auto count = delta(samples[i - 1].requests, samples[i].requests);
    rates.history.push_back(span > 0 ? static_cast<double>(count) / span : 0);
  }
  rates.requests_per_s = rates.history.back();
  const Sample& last = samples.back();
  const Sample& first = samples[samples.size() - 1 - std::min(kWindow, samples.size() - 1)];
  const uint64_t attempts = delta(first.attempts, last.attempts);
  if (attempts > 0) {
    rates.error_rate =
        static_cast<double>(delta(first.errors, last.errors)) / static_cast<double>(attempts);
  }
  std::array<uint64_t, kLatencyBuckets> window{};
  for (size_t i = 0; i < kLatencyBuckets; ++i) window[i] = delta(first.buckets[i], last.buckets[i]);
  rates.p99_ms = latency_quantile_ms(window, 0.99);
  return rates;
}

}  // namespace lb

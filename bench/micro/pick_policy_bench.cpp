// The cost of choosing a backend, paid once per request in HTTP mode and once per connection in
// TCP mode: each --balance policy over four backends, with affinity keys that vary as client
// addresses do.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "load_balancer/backend_pool.hpp"
#include "load_balancer/backend_spec.hpp"
#include "load_balancer/pick_policy.hpp"

namespace {

void BM_Pick(benchmark::State& state, lb::Balance balance) {
  auto specs =
      lb::parse_backend_list("127.0.0.1:8081,127.0.0.1:8082@2,127.0.0.1:8083,127.0.0.1:8084");
  if (!specs) {
    state.SkipWithError(specs.error().message.c_str());
    return;
  }
  lb::BackendPool pool(*specs, lb::Thresholds{}, lb::make_policy(balance, *specs));
  const auto now = lb::Backend::Clock::now();
  uint64_t key = 0x9e3779b97f4a7c15ull;
  for (auto _ : state) {
    key = key * 6364136223846793005ull + 1442695040888963407ull;  // a new client each time
    benchmark::DoNotOptimize(pool.pick({}, key, now));
  }
}
BENCHMARK_CAPTURE(BM_Pick, roundrobin, lb::Balance::roundrobin);
BENCHMARK_CAPTURE(BM_Pick, leastconn, lb::Balance::leastconn);
BENCHMARK_CAPTURE(BM_Pick, random2, lb::Balance::random2);
BENCHMARK_CAPTURE(BM_Pick, source, lb::Balance::source);

}  // namespace

// The store's write paths: a local put (one transaction with an fsync'd WAL commit, so this
// measures the disk as much as the code) and the apply of a peer's change, plus a point read.
// The file lives in a fresh temporary folder.
#include <benchmark/benchmark.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "tests/unit/temp_dir.hpp"
#include "web_server/store/store.hpp"

namespace {

using web::store::Change;
using web::store::Store;

std::unique_ptr<Store> open_store(const test_support::TempDir& dir) {
  auto store = Store::open({(dir.path() / "store.db").string()});
  if (!store) throw std::runtime_error(store.error().message);
  return std::move(*store);
}

void BM_StoreLocalPut(benchmark::State& state) {
  test_support::TempDir dir;
  auto store = open_store(dir);
  const std::string value(static_cast<size_t>(state.range(0)), 'v');
  uint64_t i = 0;
  for (auto _ : state) {
    if (!store->put("bench/" + std::to_string(i++ % 1000), value)) state.SkipWithError("put");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StoreLocalPut)->Arg(100)->Arg(64 * 1024)->UseRealTime();

void BM_StoreApplyRemote(benchmark::State& state) {
  test_support::TempDir dir;
  auto store = open_store(dir);
  constexpr web::store::OriginId kPeer = 0x5eed;
  const uint64_t base = uint64_t{1'700'000'000'000} << 16;
  uint64_t seq = 0;
  for (auto _ : state) {
    ++seq;
    const Change change{kPeer, seq, {base + seq, kPeer}, "bench/" + std::to_string(seq % 1000),
                        std::string(100, 'r')};
    if (!store->apply(change)) state.SkipWithError("apply");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StoreApplyRemote)->UseRealTime();

void BM_StoreGet(benchmark::State& state) {
  test_support::TempDir dir;
  auto store = open_store(dir);
  for (int i = 0; i < 100; ++i) (void)store->put("bench/" + std::to_string(i), "value");
  int i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(store->get("bench/" + std::to_string(i++ % 100)));
}
BENCHMARK(BM_StoreGet);

}  // namespace

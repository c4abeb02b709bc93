// The store's write paths: a local put (one transaction with an fsync'd WAL commit, so this
// measures the disk as much as the code), the same from many threads at once (where concurrent
// writes share a commit), and the apply of a peer's change, plus a point read.
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

// Every thread puts into one store; thread 0 opens it before the threads' start barrier and
// closes it after their stop barrier.
void BM_StoreConcurrentPut(benchmark::State& state) {
  static std::unique_ptr<test_support::TempDir> dir;
  static std::unique_ptr<Store> store;
  if (state.thread_index() == 0) {
    dir = std::make_unique<test_support::TempDir>();
    store = open_store(*dir);
  }
  const std::string prefix = "bench/" + std::to_string(state.thread_index()) + "/";
  const std::string value(100, 'v');
  uint64_t i = 0;
  for (auto _ : state) {
    if (!store->put(prefix + std::to_string(i++ % 1000), value)) state.SkipWithError("put");
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    store.reset();
    dir.reset();
  }
}
BENCHMARK(BM_StoreConcurrentPut)->Threads(1)->Threads(8)->Threads(32)->UseRealTime();

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

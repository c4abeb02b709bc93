// The relay's copy loop (TCP mode and WebSocket tunnels): bytes per second pumped from one
// socket pair to another, measured in-process over AF_UNIX stream pairs.
#include <benchmark/benchmark.h>
#include <sys/socket.h>

#include <string>
#include <thread>

#include "common/fd.hpp"
#include "common/relay.hpp"
#include "common/socket.hpp"

namespace {

struct Pair {
  common::Fd near;
  common::Fd far;
};

Pair socket_pair() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return {};
  return {common::Fd(fds[0]), common::Fd(fds[1])};
}

// Each iteration: a client writes `size` bytes and closes; the relay carries them to a server
// that reads to EOF; the server's close ends the other direction.
void BM_RelayCopy(benchmark::State& state) {
  const std::string payload(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    Pair client = socket_pair();
    Pair server = socket_pair();
    std::thread writer([&] {
      (void)common::send_all(client.near, payload);
      shutdown(client.near.get(), SHUT_WR);
    });
    std::thread reader([&] {
      char buffer[65536];
      for (;;) {
        auto n = common::recv_some(server.far, buffer, sizeof buffer);
        if (!n || *n == 0) break;
      }
      shutdown(server.far.get(), SHUT_WR);
    });
    const common::RelayResult result = common::relay(client.far, server.near);
    writer.join();
    reader.join();
    benchmark::DoNotOptimize(result.a_to_b);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_RelayCopy)->Arg(64 << 10)->Arg(4 << 20)->UseRealTime();

}  // namespace

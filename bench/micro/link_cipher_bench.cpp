// What encrypting a replication link costs: sealing one frame on the sender and opening it on
// the receiver (ChaCha20-Poly1305, contexts reused as on a link), for a small change, a 1 KiB
// one and a 64 KiB one. Bytes/s counts the payload.
#include <benchmark/benchmark.h>

#include <stdexcept>
#include <string>

#include "web_server/replication/link_cipher.hpp"

namespace {

using namespace web::replication;

LinkKeys bench_keys() {
  auto dialer = random_nonce(), acceptor = random_nonce();
  if (!dialer || !acceptor) throw std::runtime_error("no nonce");
  auto keys = derive_link_keys("the cluster's shared secret", *dialer, *acceptor, 1, 2);
  if (!keys) throw std::runtime_error(keys.error().message);
  return *keys;
}

void BM_LinkSealOpen(benchmark::State& state) {
  const LinkKeys keys = bench_keys();
  auto sealer = FrameSealer::create(keys.dialer_to_acceptor);
  auto opener = FrameOpener::create(keys.dialer_to_acceptor);
  if (!sealer || !opener) throw std::runtime_error("no cipher");
  const std::string payload(static_cast<size_t>(state.range(0)), 'v');
  std::string frame;
  frame.reserve(kFrameHeaderBytes + payload.size() + kTagBytes);
  for (auto _ : state) {
    frame.clear();
    if (!sealer->append(frame, FrameType::change, payload)) state.SkipWithError("seal");
    auto plain = opener->open(std::string_view(frame).substr(0, kFrameHeaderBytes),
                              frame.data() + kFrameHeaderBytes, frame.size() - kFrameHeaderBytes);
    if (!plain) state.SkipWithError("open");
    benchmark::DoNotOptimize(plain);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LinkSealOpen)->Arg(100)->Arg(1024)->Arg(64 * 1024);

// A link's key schedule: both directions' keys from the secret and the two nonces.
void BM_LinkKeySchedule(benchmark::State& state) {
  const Nonce dialer = *random_nonce(), acceptor = *random_nonce();
  for (auto _ : state) {
    auto keys = derive_link_keys("the cluster's shared secret", dialer, acceptor, 1, 2);
    benchmark::DoNotOptimize(keys);
  }
}
BENCHMARK(BM_LinkKeySchedule);

}  // namespace

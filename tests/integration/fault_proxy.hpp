// A TCP forwarder a test puts on one directed replication link (between a dialling server and
// its peer's replication port; the dialler's --peers names the proxy), to inject the faults of a
// real network without root: pass, blackhole, reset, slow, and one-way loss.
//
// What it guarantees: bytes it forwards arrive in order and unaltered. A direction that dropped
// bytes never forwards again: when its fault ends, its connection is reset instead, because the
// far end would otherwise parse the rest of a stream with a hole in it. Every thread it starts is
// joined by the destructor; live connections are capped (kMaxConnections), so the thread count
// stays bounded however often the servers redial.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/fd.hpp"

namespace harness {

enum class Fault {
  pass,            // forward everything
  blackhole,       // connections stay open, every byte (and FIN) is dropped both ways
  reset,           // relayed connections are reset (RST); new ones are reset at once
  slow,            // every chunk waits 50-300 ms before it is forwarded
  drop_to_target,  // the dialler's bytes are dropped; the target's answers still come back
  drop_to_dialer,  // the dialler's bytes arrive; the target's answers (ACKs) are dropped
};
std::string_view to_string(Fault fault);

class FaultProxy {
 public:
  static constexpr size_t kMaxConnections = 32;

  // Listens on 127.0.0.2 (an ephemeral port) and forwards to `target` ("127.0.0.1:PORT").
  explicit FaultProxy(std::string target);
  ~FaultProxy();  // stops accepting, resets every connection, joins every thread
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  const std::string& address() const { return address_; }
  // Thread-safe; takes effect at once on relayed connections and on new ones.
  void set(Fault fault);
  Fault fault() const { return fault_.load(); }

 private:
  struct Connection;
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  void accept_loop();
  void relay(common::Fd dialer);
  void pump(const std::shared_ptr<Connection>& connection, bool to_target);
  void reset_all();
  void reap_finished();  // joins workers that are done; caller holds mutex_

  const std::string target_;
  common::Fd listener_;
  std::string address_;
  std::atomic<Fault> fault_{Fault::pass};
  std::mutex mutex_;
  std::vector<std::weak_ptr<Connection>> connections_;
  std::vector<Worker> workers_;
  std::thread accepting_;  // last: it uses everything above
};

}  // namespace harness

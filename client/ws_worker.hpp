// One WebSocket connection's message loop (client --ws): open the connection with the opening
// handshake, then for each ticket of the plan send one masked message and wait for its echo,
// checking that it matches; at the end close cleanly (close frame, wait for the server's). Runs on
// its own thread; everything it counts is its own until the thread is joined.
//
// In its Stats a request is a message and a response a matching echo. The connection-level
// counts (handshake statuses, X-Backend of each 101, connections, clean closes) include the
// warm-up: they describe the connections, not the measured messages.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "client/plan.hpp"
#include "client/request.hpp"
#include "client/stats.hpp"
#include "client/ws_frames.hpp"
#include "common/address.hpp"
#include "common/fd.hpp"
#include "common/websocket.hpp"

namespace client {

// What every WebSocket worker of a run connects to and sends.
struct WsTarget {
  common::Address address;
  RequestSpec handshake;                     // URL (path) and extra headers of the handshake
  size_t message_size = 64;                  // payload bytes of each message
  std::chrono::milliseconds timeout{10000};  // connect, the handshake, each echo, the close
};

class WsWorker {
 public:
  static constexpr size_t kReadBytes = 64 * 1024;

  // `target` and `live` must outlive the worker.
  WsWorker(const WsTarget& target, LiveCounters& live);

  // Sends messages until the plan runs out, then closes the connection cleanly. A failed message
  // is counted, never retried; the connection it failed on is dropped and the next message
  // opens a new one.
  void run(Plan& plan);
  const Stats& stats() const { return stats_; }

 private:
  void send_one(const Ticket& ticket);
  bool ensure_open(const Ticket& ticket);
  common::Status handshake(Clock::time_point deadline);
  common::Result<std::string_view> await_echo(Clock::time_point deadline, uint64_t& wire_bytes);
  common::Result<common::ws::FrameParse> next_frame(Clock::time_point deadline);
  common::Status receive(Clock::time_point deadline);
  common::Status send_frame(common::ws::Opcode opcode, std::string_view payload);
  void close_cleanly();
  void fail(const Ticket& ticket, Failure kind, std::string_view message);
  void drop();

  const WsTarget& target_;
  LiveCounters& live_;
  common::Fd connection_;
  std::mt19937_64 random_;
  std::unique_ptr<char[]> buffer_;
  std::string in_;        // received bytes not yet consumed
  size_t in_used_ = 0;    // bytes at the front of in_ that the last frame returned occupies
  std::string message_;   // a fragmented echo, put together
  std::string expected_;  // the payload of the message in flight
  std::string out_;       // the frame being sent
  std::string key_;       // this connection's Sec-WebSocket-Key
  uint64_t sequence_ = 0;
  Stats stats_;
};

}  // namespace client

// A TCP forwarder a test puts in front of a server's replication port (the dialling server's
// --peers names it) that reads the frames of both directions and, once armed, alters the next
// CHANGE (dialer to acceptor) or ACK (the other way): flips one byte of it, drops it, replays
// an earlier one of the same connection in its place, or injects one byte into it. Then it
// keeps relaying the connection (for the receiver to notice) but refuses new ones until
// restore(), so the test can look at the store before the dialer reconnects.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/fd.hpp"

namespace harness {

enum class Tamper { flip, drop, replay, inject };
enum class Stream { changes, acks };
const char* to_string(Tamper tamper);

class ManInTheMiddle {
 public:
  // Listens on 127.0.0.2 (an ephemeral port) and forwards to `target` ("127.0.0.1:PORT").
  explicit ManInTheMiddle(std::string target);
  ~ManInTheMiddle();  // stops accepting, cuts every connection, joins every thread
  ManInTheMiddle(const ManInTheMiddle&) = delete;
  ManInTheMiddle& operator=(const ManInTheMiddle&) = delete;

  const std::string& address() const { return address_; }
  // Alters the next frame of `stream`, then refuses connections until restore().
  void arm(Tamper tamper, Stream stream = Stream::changes);
  bool tampered() const { return tampered_; }
  // Relays faithfully again and accepts connections.
  void restore();

 private:
  struct Pair {
    common::Fd from;  // accepted from the dialling server
    common::Fd to;    // connected to the target
  };
  void accept_loop();
  void forward(std::shared_ptr<Pair> pair);
  void relay_frames(const common::Fd& from, const common::Fd& to, Stream stream);
  std::string altered(std::string frame, const std::string& earlier, Stream stream);

  const std::string target_;
  common::Fd listener_;
  std::string address_;
  std::mutex mutex_;
  std::optional<Tamper> armed_;
  Stream armed_stream_ = Stream::changes;
  std::atomic<bool> tampered_ = false;
  bool refusing_ = false;
  std::vector<std::shared_ptr<Pair>> pairs_;
  std::vector<std::thread> forwarders_;
  std::thread accepting_;  // last: it uses everything above
};

}  // namespace harness

// A TCP forwarder a test puts between a server and a peer's replication port (the server's
// --peers names the forwarder), to cut that link and restore it without root: cut() ends every
// relayed connection and refuses new ones until restore().
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/fd.hpp"

namespace harness {

class LinkCutter {
 public:
  // Listens on 127.0.0.1 (an ephemeral port) and forwards to `target` ("127.0.0.1:PORT").
  explicit LinkCutter(std::string target);
  ~LinkCutter();  // stops accepting, cuts every connection, joins every thread
  LinkCutter(const LinkCutter&) = delete;
  LinkCutter& operator=(const LinkCutter&) = delete;

  const std::string& address() const { return address_; }
  void cut();
  void restore();

 private:
  struct Pair {
    common::Fd from;  // accepted from the dialling server
    common::Fd to;    // connected to the target
  };
  void accept_loop();
  void forward(std::shared_ptr<Pair> pair);

  const std::string target_;
  common::Fd listener_;
  std::string address_;
  std::mutex mutex_;
  bool cut_ = false;
  std::vector<std::shared_ptr<Pair>> pairs_;
  std::vector<std::thread> forwarders_;
  std::thread accepting_;  // last: it uses everything above
};

}  // namespace harness

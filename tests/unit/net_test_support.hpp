// Helpers for the tests of the socket layer: loopback connection pairs and bounded waits.
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/socket.hpp"
#include "common/tcp_server.hpp"

namespace net_test {

using namespace std::chrono_literals;

// A server on 127.0.0.1:0 that runs `handler` for each connection on its own thread; the
// destructor cuts the connections and joins everything. Declare it as the last member of its
// owner, so that it stops before the state its handler uses is destroyed.
class LoopbackServer {
 public:
  explicit LoopbackServer(common::TcpServer::Handler handler);
  ~LoopbackServer() {
    server_->shutdown_connections(SHUT_RDWR);
    server_->stop();
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;
  common::Address address() const { return server_->local_address(); }

 private:
  std::unique_ptr<common::TcpServer> server_;
};

// Both ends of one loopback TCP connection.
struct TcpPair {
  common::Fd client;  // the side that connected
  common::Fd server;  // the side that was accepted
};

inline common::Address loopback(uint16_t port = 0) {
  auto address = common::parse_address("127.0.0.1:" + std::to_string(port));
  if (!address) throw std::runtime_error(address.error().message);
  return *address;
}

inline LoopbackServer::LoopbackServer(common::TcpServer::Handler handler) {
  auto server = common::TcpServer::open({.listen = loopback()}, std::move(handler));
  if (!server) throw std::runtime_error(server.error().message);
  server_ = std::move(*server);
  if (auto started = server_->start(); !started) throw std::runtime_error(started.error().message);
}

inline common::Fd listener() {
  auto fd = common::listen_tcp(loopback());
  if (!fd) throw std::runtime_error(fd.error().message);
  return std::move(*fd);
}

inline common::Address address_of(const common::Fd& fd) {
  auto address = common::local_address(fd);
  if (!address) throw std::runtime_error(address.error().message);
  return *address;
}

inline TcpPair tcp_pair() {
  const common::Fd listen_fd = listener();
  auto client = common::connect_tcp(address_of(listen_fd), 5s);
  if (!client) throw std::runtime_error(client.error().message);
  common::Accepted accepted = common::accept_connection(listen_fd);
  if (accepted.outcome != common::AcceptOutcome::accepted) throw std::runtime_error("accept");
  // A test that goes wrong fails on a timed-out read instead of hanging.
  for (const common::Fd* fd : {&*client, &accepted.fd}) {
    if (auto s = common::set_io_timeouts(*fd, 20s, 20s); !s)
      throw std::runtime_error(s.error().message);
  }
  return TcpPair{std::move(*client), std::move(accepted.fd)};
}

// Reads until the peer closes; a failure ends the read early (the caller compares the bytes).
inline std::string read_to_eof(const common::Fd& fd) {
  std::string out;
  char buffer[16384];
  for (;;) {
    auto n = common::recv_some(fd, buffer, sizeof buffer);
    if (!n || *n == 0) return out;
    out.append(buffer, *n);
  }
}

inline std::string read_exactly(const common::Fd& fd, size_t size) {
  std::string out(size, '\0');
  size_t have = 0;
  while (have < size) {
    auto n = common::recv_some(fd, out.data() + have, size - have);
    if (!n || *n == 0) break;
    have += *n;
  }
  out.resize(have);
  return out;
}

// Polls `condition` until it holds or `timeout` passed; the bound is generous on purpose.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(200us);
  }
  return true;
}

// A recognisable payload, so that a lost or reordered chunk shows as a mismatch.
inline std::string pattern(size_t size, char seed) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>(seed + static_cast<char>(i % 251));
  return out;
}

}  // namespace net_test

// The listening side shared by the balancer and web_server: listens, serves each connection on
// its own thread (common/connection_threads: the thread that accepts is the thread that serves),
// and on shutdown stops accepting and drains the connections still open.
#pragma once

#include <functional>
#include <memory>

#include "common/address.hpp"
#include "common/fd.hpp"
#include "common/result.hpp"
#include "common/socket.hpp"

namespace common {

class TcpServer {
 public:
  struct Options {
    Address listen;
    size_t max_connections = 10000;
    bool reuse_port = false;
    std::chrono::seconds defer_accept{0};  // see ListenOptions
  };
  // Runs on the connection's own thread; the server owns the descriptor and closes it after the
  // handler returns. The handler may be woken early by shutdown_connections().
  using Handler = std::function<void(const Fd& client, const Address& peer)>;

  // Binds and listens. Fails with a message such as "bind 127.0.0.1:80: Permission denied".
  static Result<std::unique_ptr<TcpServer>> open(const Options& options, Handler handler);
  // Serves on `listener`, already bound and listening (listen_tcp), for a caller that needs the
  // real port before it builds what serves it. Of `options`, only max_connections is used.
  static Result<std::unique_ptr<TcpServer>> open(Fd listener, const Options& options,
                                                 Handler handler);
  // Stops, then waits for every connection thread (shutdown_connections() first, so that none
  // waits on an idle peer).
  ~TcpServer();

  Address local_address() const;  // the real port when the options asked for port 0
  // Starts accepting on the server's own connection threads and returns; connections that
  // arrive before it wait in the kernel's backlog. Fails with the pthread_create error.
  Status start();
  // Thread-safe and idempotent; returns once the listener is closed. It accepts, without
  // waiting, the connections already queued in the backlog (their clients were told the connect
  // succeeded) and hands them to handlers like any other, then closes the listening socket.
  // With reuse_port, closing is what makes the kernel send new connections to the other
  // listeners of the port (a new process taking over); see load_balancer/main.cpp for the
  // restart. Connections being served go on until they end or shutdown_connections().
  void stop();

  // shutdown(how) on every open connection: SHUT_RD ends idle keep-alive reads while letting a
  // response in progress finish; SHUT_RDWR ends everything.
  void shutdown_connections(int how);
  // Waits until no connection is open or `timeout` passed; true when none is left.
  bool wait_idle(Millis timeout);
  size_t open_connections() const;

 private:
  struct Impl;
  explicit TcpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace common

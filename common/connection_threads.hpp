// The thread-per-connection pool behind TcpServer. Every idle thread waits in accept() on the
// listener itself, and the thread that accepts a connection serves it. accept() wakes exactly one
// waiter per connection (the kernel queues its waiters exclusively), so a new connection costs
// one wake-up: there is no accept loop handing connections over through a lock and a second
// wake-up. A thread that accepts while no other thread waits starts one more, up to
// `max_threads`; with that many connections served nobody waits, and new connections stay in the
// kernel's backlog until one ends. A thread that waited `park_time` while another one waits too
// exits, so an idle server keeps one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

#include "common/fd.hpp"
#include "common/socket.hpp"

namespace common {

class ConnectionThreads {
 public:
  struct Options {
    size_t max_threads = 10000;
    size_t stack_bytes = 256 * 1024;  // small stacks: 10,000 connections must fit in memory
    std::chrono::milliseconds park_time{30000};  // how long an idle thread waits for work
  };
  // Serves one accepted connection, on the thread that accepted it; the descriptor is closed
  // after it returns. It must not throw: an exception escaping it ends the process.
  using Serve = std::function<void(Accepted& connection)>;

  // `listener` is a blocking listening socket that outlives this object; its SO_RCVTIMEO becomes
  // park_time (how accept() waits are bounded). Accepted sockets inherit that timeout: `serve`
  // sets its own where it reads. No thread starts before start().
  ConnectionThreads(const Fd& listener, Options options, Serve serve);
  // Shuts the listener down (see stop_accepting), waits for every connection being served, then
  // joins every thread.
  ~ConnectionThreads();
  ConnectionThreads(const ConnectionThreads&) = delete;
  ConnectionThreads& operator=(const ConnectionThreads&) = delete;

  // Starts the first waiting thread. Fails with the pthread_create error.
  Status start();
  // Stops accepting: takes, without waiting, the connections already queued in the backlog
  // (their clients were told the connect succeeded) and serves each on a thread of its own; then
  // shuts the listener down, which makes every thread waiting in accept() return, and waits until
  // none is left there. Threads serving a connection finish it and exit. Afterwards the listener
  // may be closed. The destructor does the same without taking the backlog.
  void stop_accepting();

  size_t serving() const;  // connections being served
  // shutdown(how) on every connection being served: SHUT_RD ends idle keep-alive reads while
  // letting a response in progress finish; SHUT_RDWR ends everything.
  void shutdown_serving(int how);
  // Waits until no connection is served or `timeout` passed; true when none is left.
  bool wait_idle(Millis timeout);
  size_t threads() const;  // threads alive: serving or waiting in accept()

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace common

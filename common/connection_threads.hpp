// The thread-per-connection executor. Each task (one connection) runs on its own thread from
// start to end; a thread that finishes parks for a while and is reused for the next task, so a
// steady load creates no threads at all. At most `max_threads` tasks run at once: run() blocks
// past that, which stops the accept loop and leaves new connections in the kernel's backlog.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

namespace common {

class ConnectionThreads {
 public:
  struct Options {
    size_t max_threads = 10000;
    size_t stack_bytes = 256 * 1024;  // small stacks: 10,000 connections must fit in memory
    std::chrono::milliseconds park_time{30000};  // how long an idle thread waits for work
  };

  explicit ConnectionThreads(Options options);
  // Waits for every running task to finish, then joins every thread.
  ~ConnectionThreads();
  ConnectionThreads(const ConnectionThreads&) = delete;
  ConnectionThreads& operator=(const ConnectionThreads&) = delete;

  // Runs task on a parked thread or a new one; blocks while max_threads tasks are running.
  // Returns false (and does not run the task) if a thread could not be created. A task must not
  // throw: an exception escaping it ends the process.
  bool run(std::function<void()> task);

  size_t running() const;  // tasks in progress
  size_t threads() const;  // threads alive, running or parked

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace common

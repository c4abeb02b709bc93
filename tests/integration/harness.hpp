// Helpers for integration tests: start the real executables, wait for their readiness line,
// talk raw bytes to them, and stop them by PID.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/fd.hpp"

namespace harness {

using namespace std::chrono_literals;

// Path of an executable built by this project, e.g. exe("web_server").
std::string exe(std::string_view name);
// A fresh empty folder under $TMPDIR (or /tmp) for a test's files.
std::string temp_dir();

// A child process with stdout and stderr captured. The destructor sends SIGKILL if it is still
// running and reaps it, so a failed test never leaves processes behind.
class Process {
 public:
  // Runs argv in `working_dir` (empty: this process's working folder).
  explicit Process(std::vector<std::string> argv, const std::string& working_dir = "");
  ~Process();
  Process(Process&& other) noexcept;
  Process& operator=(Process&&) = delete;
  Process(const Process&) = delete;

  // Reads stdout until a line that starts "listening on HOST:PORT" (not "replication listening
  // on" or "admin listening on") and returns "HOST:PORT", or "" if the process exited or
  // `timeout` passed first.
  std::string wait_listening(std::chrono::milliseconds timeout = 30s);
  // Reads stdout until a line that starts with `prefix` and returns the rest of that line, or ""
  // if the process exited or `timeout` passed first.
  std::string wait_prefixed_line(std::string_view prefix, std::chrono::milliseconds timeout = 30s);
  // Reads stdout until it holds the whole line `line`; false if the process exited or `timeout`
  // passed first.
  bool wait_line(std::string_view line, std::chrono::milliseconds timeout = 30s);
  void signal(int sig);
  // Waits for the exit; returns the exit status, 128+signal if killed, or -1 on timeout.
  int wait_exit(std::chrono::milliseconds timeout = 60s);
  bool running();
  pid_t pid() const { return pid_; }
  // Everything the process wrote so far (stdout is complete once it exited).
  std::string out();
  std::string err();

 private:
  void drain_stdout(std::chrono::milliseconds wait);
  pid_t pid_ = -1;
  common::Fd out_fd_;  // the read end of the child's stdout
  std::string out_text_;
  std::string err_path_;
  bool reaped_ = false;
  int status_ = 0;
};

// What a finished command left: its exit status (as Process::wait_exit) and its output.
struct Ran {
  int status = -1;
  std::string out;
  std::string err;
};
// Runs argv (argv[0] an absolute path) to its end, or kills it after `timeout` (status -1).
Ran run(std::vector<std::string> argv, std::chrono::milliseconds timeout = 120s);

// Connects to host_port, sends `request`, reads until the peer closes or `timeout` passes.
std::string exchange(std::string_view host_port, std::string_view request,
                     std::chrono::milliseconds timeout = 10s);
// Connects to host_port, sends `head`, then a body byte every `every` until the peer answers;
// returns what it sent until it closed or `bound` passed.
std::string trickle_body(std::string_view host_port, std::string_view head,
                         std::chrono::milliseconds every, std::chrono::milliseconds bound);
// The status code of the first response in `response`, or 0.
int status_of(std::string_view response);
// A simple GET request for `path` with Connection: close.
std::string get_request(std::string_view path, std::string_view host = "test");
// Threads of a process as the kernel counts them (/proc/PID/status).
int thread_count(pid_t pid);
// Threads of a process that are not waiting in accept(): the servers' idle connection threads
// wait there, so this is the number of threads at work (or stuck) in a session, plus the
// process's own. -1 when the process is gone.
int threads_outside_accept(pid_t pid);

}  // namespace harness

#include "tests/integration/harness.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/address.hpp"
#include "common/socket.hpp"

extern char** environ;

namespace harness {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

std::string exe(std::string_view name) {
  return std::string(SUITE_BUILD_DIR) + "/" + std::string(name);
}

std::string temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/suite-test.XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("mkdtemp " + pattern + " failed");
  return pattern;
}

Process::Process(std::vector<std::string> argv, const std::string& working_dir) {
  static std::atomic<int> serial{0};
  err_path_ = temp_dir() + "/stderr." + std::to_string(serial++);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (!working_dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, working_dir.c_str());
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  common::Fd write_end(pipe_fds[1]);  // the child has its copy; ours must go for EOF to work
  out_fd_.reset(pipe_fds[0]);
  if (rc != 0) {
    throw std::runtime_error("spawn " + argv[0] + " failed: " + std::to_string(rc));
  }
}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      out_fd_(std::move(other.out_fd_)),
      out_text_(std::move(other.out_text_)),
      err_path_(std::move(other.err_path_)),
      reaped_(other.reaped_),
      status_(other.status_) {}

Process::~Process() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void Process::drain_stdout(std::chrono::milliseconds wait) {
  pollfd p{out_fd_.get(), POLLIN, 0};
  if (!out_fd_ || ::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return;
  char buf[4096];
  ssize_t n = ::read(out_fd_.get(), buf, sizeof buf);
  if (n > 0) {
    out_text_.append(buf, static_cast<size_t>(n));
  } else if (n == 0) {
    out_fd_.reset();
  }
}

std::string Process::wait_listening(std::chrono::milliseconds timeout) {
  return wait_prefixed_line("listening on ", timeout);
}

bool Process::wait_line(std::string_view line, std::chrono::milliseconds timeout) {
  const std::string wanted = "\n" + std::string(line) + "\n";
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (("\n" + out_text_).find(wanted) != std::string::npos) return true;
    if (!out_fd_ || remaining_ms(deadline) == 0) return false;
    drain_stdout(std::chrono::milliseconds(std::min(remaining_ms(deadline), 100)));
  }
}

std::string Process::wait_prefixed_line(std::string_view prefix,
                                        std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    for (size_t start = 0, end; (end = out_text_.find('\n', start)) != std::string::npos;
         start = end + 1) {
      const std::string_view line = std::string_view(out_text_).substr(start, end - start);
      if (line.starts_with(prefix)) return std::string(line.substr(prefix.size()));
    }
    if (!out_fd_ || remaining_ms(deadline) == 0) return "";
    drain_stdout(std::chrono::milliseconds(std::min(remaining_ms(deadline), 100)));
  }
}

void Process::signal(int sig) {
  if (pid_ > 0 && !reaped_) ::kill(pid_, sig);
}

bool Process::running() {
  if (reaped_) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    reaped_ = true;
    status_ = status;
    return false;
  }
  return true;
}

int Process::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (running()) {
    if (remaining_ms(deadline) == 0) return -1;
    // Keep the pipe drained so a chatty child never blocks on a full pipe.
    if (out_fd_.valid())
      drain_stdout(20ms);
    else
      ::usleep(20000);
  }
  while (out_fd_.valid()) drain_stdout(1000ms);
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  return WIFSIGNALED(status_) ? 128 + WTERMSIG(status_) : -1;
}

std::string Process::out() {
  while (out_fd_.valid()) {
    pollfd p{out_fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) break;
    drain_stdout(0ms);
  }
  return out_text_;
}

std::string Process::err() {
  std::ifstream in(err_path_);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Ran run(std::vector<std::string> argv, std::chrono::milliseconds timeout) {
  Process process(std::move(argv));
  Ran ran;
  ran.status = process.wait_exit(timeout);
  ran.out = process.out();
  ran.err = process.err();
  return ran;
}

namespace {

// A connection to host_port with both timeouts `timeout` and `first` sent on it; invalid when
// any of that failed.
common::Fd connect_and_send(std::string_view host_port, std::string_view first,
                            std::chrono::milliseconds timeout) {
  auto address = common::parse_address(host_port);
  if (!address) return {};
  auto fd = common::connect_tcp(*address, timeout);
  if (!fd) return {};
  (void)common::set_io_timeouts(*fd, timeout, timeout);
  if (!common::send_all(*fd, first)) return {};
  return std::move(*fd);
}

}  // namespace

std::string exchange(std::string_view host_port, std::string_view request,
                     std::chrono::milliseconds timeout) {
  const common::Fd fd = connect_and_send(host_port, request, timeout);
  if (!fd) return "";
  std::string response;
  char buf[8192];
  auto deadline = Clock::now() + timeout;
  while (remaining_ms(deadline) > 0) {
    auto n = common::recv_some(fd, buf, sizeof buf);
    if (!n || *n == 0) break;
    response.append(buf, *n);
  }
  return response;
}

std::string trickle_body(std::string_view host_port, std::string_view head,
                         std::chrono::milliseconds every, std::chrono::milliseconds bound) {
  const common::Fd fd = connect_and_send(host_port, head, bound);
  if (!fd) return "";
  const auto deadline = Clock::now() + bound;
  std::string response;
  char buf[8192];
  while (remaining_ms(deadline) > 0) {
    pollfd p{fd.get(), POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(every.count()));
    if (ready == 0) {
      if (!common::send_all(fd, "x")) break;
      continue;
    }
    auto n = common::recv_some(fd, buf, sizeof buf);
    if (!n || *n == 0) break;
    response.append(buf, *n);
  }
  return response;
}

int status_of(std::string_view response) {
  if (response.size() < 12 || response.substr(0, 7) != "HTTP/1.") return 0;
  return std::atoi(std::string(response.substr(9, 3)).c_str());
}

std::string get_request(std::string_view path, std::string_view host) {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: " + std::string(host) +
         "\r\nConnection: close\r\n\r\n";
}

int thread_count(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::atoi(line.c_str() + 8);
  }
  return -1;
}

int threads_outside_accept(pid_t pid) {
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code error;
  int count = 0;
  for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
    // The first field of `syscall` is the number of the call the thread is blocked in.
    std::ifstream in(task.path() / "syscall");
    long number = -1;
    if (!(in >> number) || (number != SYS_accept && number != SYS_accept4)) ++count;
  }
  return error ? -1 : count;
}

}  // namespace harness

#include "load_balancer/health_checker.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <chrono>

#include "common/http_parser.hpp"

namespace lb {

namespace {

using Clock = std::chrono::steady_clock;

// Time left until deadline, at least 1ms so that 0 (which means "no timeout") never slips in.
common::Millis left_until(Clock::time_point deadline) {
  const auto left = std::chrono::ceil<common::Millis>(deadline - Clock::now());
  return std::max(left, common::Millis{1});
}

common::Error failed(const std::string& what, std::string_view why,
                     common::Errc code = common::Errc::protocol) {
  return common::Error{code, what + ": " + std::string(why)};
}

// Reads until the response head is complete and judges its status.
common::Result<std::string> read_status(const common::Fd& fd, const std::string& what,
                                        Clock::time_point deadline) {
  const common::HttpLimits limits;
  std::string buffer;
  char chunk[4096];
  for (;;) {
    if (Clock::now() >= deadline) return failed(what, "timed out", common::Errc::timed_out);
    const auto wait = left_until(deadline);
    if (auto set = common::set_io_timeouts(fd, wait, wait); !set) return set.error();
    auto n = common::recv_some(fd, chunk, sizeof chunk);
    if (!n) return failed(what, n.error().message, n.error().code);
    if (*n == 0) {
      return failed(what, "connection closed before the response head", common::Errc::closed);
    }
    buffer.append(chunk, *n);
    common::ResponseHead head;
    const auto parsed = common::parse_response_head(buffer, limits, head);
    if (parsed.state == common::ParseState::error) return failed(what, parsed.reason);
    if (parsed.state == common::ParseState::incomplete) continue;
    const std::string status = std::to_string(head.status);
    if (head.status < 200 || head.status > 299) return failed(what, "status " + status);
    return what + ": " + status;
  }
}

common::Result<std::string> probe_http(const common::Fd& fd, const Backend& backend,
                                       Clock::time_point deadline, std::stop_token stop) {
  // A backend that never answers must not hold up a shutdown: ending the socket wakes the recv.
  const std::stop_callback cancel(std::move(stop), [&fd] { ::shutdown(fd.get(), SHUT_RDWR); });
  const std::string what = "GET /health on " + backend.name();
  const std::string request = "GET /health HTTP/1.1\r\nHost: " + backend.name() +
                              "\r\nUser-Agent: load_balancer-health-check\r\n"
                              "Connection: close\r\n\r\n";
  const auto wait = left_until(deadline);
  if (auto set = common::set_io_timeouts(fd, wait, wait); !set) return set.error();
  if (auto sent = common::send_all(fd, request); !sent) {
    return failed(what, sent.error().message, sent.error().code);
  }
  return read_status(fd, what, deadline);
}

}  // namespace

common::Result<std::string> probe(const Backend& backend, const HealthCheckOptions& options,
                                  std::stop_token stop) {
  const auto deadline = Clock::now() + options.timeout;
  auto fd = common::connect_tcp(backend.address(), options.timeout);
  if (!fd) return fd.error();
  if (options.kind == CheckKind::tcp) return "connect " + backend.name() + " ok";
  return probe_http(*fd, backend, deadline, std::move(stop));
}

HealthChecker::HealthChecker(const BackendPool& pool, HealthCheckOptions options)
    : options_(options) {
  std::lock_guard lock(control_);
  // A jthread already started is stopped and joined by the vector if a later one fails.
  for (std::shared_ptr<Backend>& backend : pool.backends()) start(std::move(backend));
}

HealthChecker::~HealthChecker() { stop(); }

void HealthChecker::start(std::shared_ptr<Backend> backend) {
  Backend& checked = *backend;
  checked_.push_back(Checked{
      std::move(backend),
      std::jthread([this, &checked](std::stop_token stop) { run(std::move(stop), checked); })});
}

void HealthChecker::add(std::shared_ptr<Backend> backend) {
  std::lock_guard lock(control_);
  if (!stopped_) start(std::move(backend));
}

void HealthChecker::remove(const Backend& backend) {
  // Joined outside the lock (its destructor), before the backend it holds is let go.
  Checked ending;
  {
    std::lock_guard lock(control_);
    const auto at = std::find_if(checked_.begin(), checked_.end(),
                                 [&](const Checked& c) { return c.backend.get() == &backend; });
    if (at == checked_.end()) return;
    ending = std::move(*at);
    checked_.erase(at);
  }
}

void HealthChecker::stop() {
  std::vector<Checked> ending;
  {
    std::lock_guard lock(control_);
    stopped_ = true;
    ending.swap(checked_);
  }
  for (Checked& c : ending) c.thread.request_stop();
  for (Checked& c : ending) {
    if (c.thread.joinable()) c.thread.join();
  }
}

void HealthChecker::run(std::stop_token stop, Backend& backend) {
  auto next = Clock::now();  // the first check at once: a dead backend is found early
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      // Sleeps until `next`, or less when a stop is requested.
      (void)wake_.wait_until(lock, stop, next, [] { return false; });
    }
    if (stop.stop_requested()) return;
    next = Clock::now() + options_.interval;
    auto result = probe(backend, options_, stop);
    if (stop.stop_requested()) return;  // a check cut short says nothing about the backend
    backend.record_check(result.ok(), result ? *result : result.error().message);
  }
}

}  // namespace lb

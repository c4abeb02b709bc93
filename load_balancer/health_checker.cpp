#include "load_balancer/health_checker.hpp"

#include <algorithm>
#include <chrono>

#include "common/http_parser.hpp"
#include "common/stream.hpp"
#include "common/transport.hpp"

namespace lb {

namespace {

using common::Clock;

// Room for a response head of the parser's default limit, and the byte that shows it too long.
constexpr size_t kResponseBuffer = common::HttpLimits{}.max_head_bytes + 1;

common::Error failed(const std::string& what, std::string_view why,
                     common::Errc code = common::Errc::protocol) {
  return common::Error{code, what + ": " + std::string(why)};
}

// Judges the status of the response head read by `deadline`.
common::Result<std::string> read_status(common::Stream& stream, const std::string& what,
                                        Clock::time_point deadline) {
  common::ResponseHead head;
  const common::HeadRead read = stream.read_head(head, common::HttpLimits{}, {deadline, {}});
  switch (read.end) {
    case common::ReadEnd::complete:
      break;
    case common::ReadEnd::closed:
      return failed(what, "connection closed before the response head", common::Errc::closed);
    case common::ReadEnd::timed_out:
      return failed(what, "timed out", common::Errc::timed_out);
    case common::ReadEnd::invalid:
      return failed(what, read.reason);
    case common::ReadEnd::failed:
      return failed(what, read.failure.message, read.failure.code);
  }
  const std::string status = std::to_string(head.status);
  if (head.status < 200 || head.status > 299) return failed(what, "status " + status);
  return what + ": " + status;
}

common::Result<std::string> probe_http(const common::Fd& fd, const Backend& backend,
                                       Clock::time_point deadline, std::stop_token stop) {
  common::PlainSocket socket(fd);
  // A backend that never answers must not hold up a shutdown: ending the socket wakes the read.
  const std::stop_callback cancel(std::move(stop), [&socket] { socket.shutdown(); });
  const std::string what = "GET /health on " + backend.name();
  const std::string request = "GET /health HTTP/1.1\r\nHost: " + backend.name() +
                              "\r\nUser-Agent: load_balancer-health-check\r\n"
                              "Connection: close\r\n\r\n";
  // At least 1ms: 0 would mean no timeout at all.
  const auto wait =
      std::max(std::chrono::ceil<common::Millis>(deadline - Clock::now()), common::Millis{1});
  if (auto set = socket.set_timeouts(wait, wait); !set) return set.error();
  common::Stream stream(4096, kResponseBuffer);
  stream.attach(socket, wait);
  if (auto sent = stream.write(request); !sent) {
    return failed(what, sent.error().message, sent.error().code);
  }
  return read_status(stream, what, deadline);
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

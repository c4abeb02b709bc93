#include "tests/integration/history.hpp"

#include <cstdio>
#include <stdexcept>

#include "common/address.hpp"
#include "common/socket.hpp"
#include "tests/integration/cluster.hpp"

namespace harness {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point epoch) {
  return std::chrono::duration<double>(Clock::now() - epoch).count();
}

common::Millis left_until(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<common::Millis>(deadline - Clock::now());
  return std::max(left, common::Millis{1});
}

std::string request_text(OpKind kind, const std::string& key, const std::string& value) {
  const std::string method = kind == OpKind::put ? "PUT" : kind == OpKind::del ? "DELETE" : "GET";
  const std::string body = kind == OpKind::put ? value : "";
  return method + " /kv/" + key + " HTTP/1.1\r\nHost: nemesis\r\nConnection: close\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Reads the answer until the server closes (it was asked to) or the deadline passes.
common::Result<std::string> read_answer(const common::Fd& fd, Clock::time_point deadline) {
  std::string answer;
  char buffer[4096];
  for (;;) {
    (void)common::set_io_timeouts(fd, left_until(deadline), left_until(deadline));
    auto n = common::recv_some(fd, buffer, sizeof buffer);
    if (!n) return n.error();
    if (*n == 0) return answer;
    answer.append(buffer, *n);
    if (Clock::now() >= deadline) return common::Error{common::Errc::timed_out, "deadline"};
  }
}

Outcome classify(OpKind kind, int status) {
  if (status >= 200 && status < 300) return Outcome::ok;
  if (status == 503 || (kind == OpKind::del && status == 404)) return Outcome::failed;
  if (kind == OpKind::get && status == 404) return Outcome::ok;
  return Outcome::indeterminate;
}

// Sends the request and fills in the answer; a failure before the request left is `failed`,
// after it `indeterminate`.
void exchange_into(Op& op, const std::string& address, const std::string& request,
                   Clock::time_point deadline) {
  auto fd = common::connect_tcp(*common::parse_address(address), left_until(deadline));
  if (!fd) {
    op.outcome = Outcome::failed;
    op.error = fd.error().message;
    return;
  }
  (void)common::set_io_timeouts(*fd, left_until(deadline), left_until(deadline));
  auto sent = common::send_all(*fd, request);
  auto answer = sent ? read_answer(*fd, deadline) : common::Result<std::string>(sent.error());
  op.status = answer ? status_of(*answer) : 0;
  if (op.status == 0) {
    op.outcome = Outcome::indeterminate;
    op.error = answer ? "no HTTP answer" : answer.error().message;
    return;
  }
  op.outcome = classify(op.kind, op.status);
  op.version = field_of(*answer, "x-version");
  if (op.kind == OpKind::get && op.status == 200) op.value = body_of(*answer);
}

}  // namespace

std::pair<uint64_t, uint64_t> version_order(const std::string& version) {
  const size_t dash = version.find('-');
  if (dash == std::string::npos || dash == 0) return {0, 0};
  try {
    return {std::stoull(version.substr(0, dash)),
            std::stoull(version.substr(dash + 1), nullptr, 16)};
  } catch (const std::exception&) {
    return {0, 0};
  }
}

std::string_view to_string(OpKind kind) {
  return kind == OpKind::put ? "PUT" : kind == OpKind::del ? "DELETE" : "GET";
}

std::string_view to_string(Outcome outcome) {
  return outcome == Outcome::ok ? "ok" : outcome == Outcome::failed ? "failed" : "indeterminate";
}

std::string describe(const Op& op) {
  char times[64];
  std::snprintf(times, sizeof times, "[%.3fs..%.3fs]", op.start, op.end);
  std::string text = std::string(to_string(op.kind)) + " " + op.key + " on s" +
                     std::to_string(op.server) + " by " +
                     (op.client < 0 ? "script" : "c" + std::to_string(op.client));
  if (op.kind != OpKind::del) text += " value=" + (op.value.empty() ? "-" : op.value);
  text += " " + std::string(times) + " " + std::to_string(op.status) + " " +
          std::string(to_string(op.outcome));
  if (!op.version.empty()) text += " v=" + op.version;
  if (!op.error.empty()) text += " (" + op.error + ")";
  return text;
}

Op kv_request(OpKind kind, const std::string& address, size_t server, const std::string& key,
              const std::string& value, std::chrono::milliseconds timeout,
              Clock::time_point epoch) {
  Op op;
  op.kind = kind;
  op.key = key;
  op.server = server;
  op.value = kind == OpKind::put ? value : "";
  op.start = seconds_since(epoch);
  exchange_into(op, address, request_text(kind, key, value), Clock::now() + timeout);
  op.end = seconds_since(epoch);
  return op;
}

double History::seconds_now() const { return seconds_since(epoch_); }

long History::record(Op op) {
  std::lock_guard lock(mutex_);
  ops_.push_back(std::move(op));
  return static_cast<long>(ops_.size() - 1);
}

std::vector<Op> History::snapshot() const {
  std::lock_guard lock(mutex_);
  return ops_;
}

}  // namespace harness

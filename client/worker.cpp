#include "client/worker.hpp"

#include <charconv>
#include <thread>

#include "common/socket.hpp"

namespace client {

Worker::Worker(const Target& target, LiveCounters& live)
    : target_(target), live_(live), reader_(target.timeout) {}

void Worker::run(Plan& plan) {
  while (auto ticket = plan.next(Clock::now())) {
    // Open loop only: a closed-loop ticket is due already.
    if (ticket->due > Clock::now()) std::this_thread::sleep_until(ticket->due);
    send_one(*ticket);
  }
}

void Worker::send_one(const Ticket& ticket) {
  const Clock::time_point attempt_start = Clock::now();
  if (!ensure_connected(ticket)) return;
  if (target_.keys) target_.keys->next(keyed_request_);
  const std::string& request = target_.keys ? keyed_request_ : target_.request;
  if (auto sent = reader_.send(request); !sent) {
    fail(ticket, failure_of(sent.error().code), sent.error().message);
    return;
  }
  auto response = reader_.read(target_.method, Clock::now() + target_.timeout);
  if (!response) {
    fail(ticket, failure_of(response.error().code), response.error().message);
    return;
  }
  record_response(ticket, *response, attempt_start);
  if (!response->keep_alive || !target_.keep_alive) connection_.reset();
}

bool Worker::ensure_connected(const Ticket& ticket) {
  if (connection_) return true;
  auto fd = common::connect_tcp(target_.address, target_.timeout);
  if (fd) {
    connection_ = std::move(*fd);  // first: the reader keeps a reference to the owner
    if (auto s = reader_.attach(connection_); !s) {
      connection_.reset();
      fail(ticket, Failure::connect, s.error().message);
      return false;
    }
    return true;
  }
  fail(ticket, Failure::connect, fd.error().message);
  return false;
}

void Worker::fail(const Ticket& ticket, Failure kind, std::string_view message) {
  connection_.reset();  // whatever state it is in, the next request gets a fresh connection
  if (!ticket.counted) return;
  ++stats_.requests;
  stats_.record_failure(kind, message);
  live_.done.fetch_add(1, std::memory_order_relaxed);
  live_.errors.fetch_add(1, std::memory_order_relaxed);
}

void Worker::record_response(const Ticket& ticket, const Response& response,
                             Clock::time_point attempt_start) {
  if (!ticket.counted) return;
  const Clock::time_point now = Clock::now();
  stats_.record_latency(now - ticket.due, now - attempt_start);
  ++stats_.requests;
  ++stats_.responses;
  stats_.bytes_received += response.wire_bytes;
  ++stats_.status[static_cast<size_t>(response.status)];
  if (response.has_backend) {
    stats_.record_backend(response.backend);
  } else {
    ++stats_.without_backend;
  }
  live_.done.fetch_add(1, std::memory_order_relaxed);
  if (response.status >= 500) {
    // The example message is formatted on the stack: 5xx storms must not allocate per response.
    char text[16] = "status ";
    const auto end = std::to_chars(text + 7, text + sizeof text, response.status).ptr;
    stats_.record_failure(Failure::status_5xx,
                          std::string_view(text, static_cast<size_t>(end - text)));
    live_.errors.fetch_add(1, std::memory_order_relaxed);
  } else if (target_.ok_status.contains(response.status)) {
    ++stats_.succeeded;
  }
}

}  // namespace client

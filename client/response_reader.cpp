#include "client/response_reader.hpp"

#include <chrono>
#include <string>

namespace client {

namespace {

using std::chrono::milliseconds;

common::Error protocol_error(std::string_view what, std::string_view reason) {
  std::string message = "response ";
  message += what;
  message += ": ";
  message += reason;
  return common::Error{common::Errc::protocol, std::move(message)};
}

common::Error closed_error(std::string message) {
  return common::Error{common::Errc::closed, "response: " + std::move(message)};
}

common::Error timeout_error() {
  return common::Error{common::Errc::timed_out, "response: timed out"};
}

// How a read of a head or body that ended `end` fails the response: `closed` says where the peer
// closed, `part` what was malformed (and `reason` why).
common::Status status_of(common::ReadEnd end, const common::Error& failure, std::string_view closed,
                         std::string_view part, std::string_view reason) {
  switch (end) {
    case common::ReadEnd::complete:
      return common::Ok{};
    case common::ReadEnd::closed:
      return closed_error(std::string(closed));
    case common::ReadEnd::timed_out:
      return timeout_error();
    case common::ReadEnd::invalid:
      return protocol_error(part, reason);
    case common::ReadEnd::failed:
      break;
  }
  return failure;
}

}  // namespace

ResponseReader::ResponseReader(milliseconds timeout)
    : timeout_(timeout), stream_(kBufferSize, kBufferSize) {}

common::Status ResponseReader::attach(const common::Fd& fd) {
  socket_.emplace(fd);
  stream_.attach(*socket_, timeout_);
  return socket_->set_timeouts(timeout_, timeout_);
}

common::Result<Response> ResponseReader::read(std::string_view method, Clock::time_point deadline) {
  body_bytes_ = 0;
  const uint64_t received = stream_.received();
  do {
    if (auto s = read_head(deadline); !s) return s.error();
  } while (head_.status >= 100 && head_.status < 200 && head_.status != 101);

  Response response;
  response.status = head_.status;
  // 101 hands the connection to another protocol: nothing more to read as HTTP.
  response.keep_alive =
      head_.status != 101 && common::keeps_alive(head_.version_minor, head_.headers);
  if (auto backend = head_.headers.get("X-Backend")) {
    backend_.assign(*backend);  // the head's views die once the body reuses the buffer
    response.has_backend = true;
  }
  const common::BodyFraming framing = common::response_body_framing(head_, method);
  if (framing.error != common::HttpError::none) return protocol_error("framing", framing.reason);
  if (framing.kind == common::BodyKind::until_close) response.keep_alive = false;
  if (auto s = skip_body(framing, deadline); !s) return s.error();
  response.backend = backend_;
  response.body_bytes = body_bytes_;
  response.wire_bytes = stream_.received() - received;
  return response;
}

common::Status ResponseReader::read_head(Clock::time_point deadline) {
  const common::HeadRead read = stream_.read_head(head_, limits_, {deadline, {}});
  if (read.end == common::ReadEnd::complete) stream_.consume(read.size);
  return status_of(read.end, read.failure,
                   read.started ? "connection closed in the response head"
                                : "connection closed before the response",
                   "head", read.reason);
}

// Counts and drops the body, however it is delimited, by `deadline`.
common::Status ResponseReader::skip_body(const common::BodyFraming& framing,
                                         Clock::time_point deadline) {
  const auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
  if (framing.kind != common::BodyKind::none && left.count() <= 0) return timeout_error();
  const common::BodyRead read = stream_.read_body(framing, 0, {.grace = left});
  body_bytes_ = read.bytes;
  std::string closed;  // built only when needed: most responses end whole
  if (read.end == common::ReadEnd::closed) {
    closed = framing.kind == common::BodyKind::chunked
                 ? "connection closed in the chunked body"
                 : "connection closed after " + std::to_string(read.bytes) + " of " +
                       std::to_string(framing.length) + " body bytes";
  }
  return status_of(read.end, read.failure, closed, "chunked body", read.reason);
}

}  // namespace client

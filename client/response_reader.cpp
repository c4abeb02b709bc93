#include "client/response_reader.hpp"

#include <algorithm>
#include <cstring>

#include "common/socket.hpp"

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

}  // namespace

ResponseReader::ResponseReader(milliseconds timeout)
    : timeout_(timeout),
      // A receive timeout within 5% of the deadline is close enough; closer would cost a
      // setsockopt before nearly every recv.
      slack_(std::max(milliseconds(1), timeout / 20)),
      buffer_(new char[kBufferSize]) {}

common::Status ResponseReader::attach(const common::Fd& fd) {
  begin_ = end_ = 0;
  armed_ = timeout_;
  return common::set_io_timeouts(fd, timeout_, timeout_);
}

common::Result<Response> ResponseReader::read(const common::Fd& fd, std::string_view method,
                                              Clock::time_point deadline) {
  body_bytes_ = 0;
  wire_bytes_ = 0;
  do {
    if (auto s = read_head(fd, deadline); !s) return s.error();
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
  if (auto s = skip_body(fd, framing, deadline); !s) return s.error();
  response.backend = backend_;
  response.body_bytes = body_bytes_;
  response.wire_bytes = wire_bytes_;
  return response;
}

common::Status ResponseReader::read_head(const common::Fd& fd, Clock::time_point deadline) {
  for (;;) {
    if (begin_ < end_) {
      const std::string_view unread(buffer_.get() + begin_, end_ - begin_);
      const common::ParseResult r = common::parse_response_head(unread, limits_, head_);
      if (r.state == common::ParseState::complete) {
        begin_ += r.consumed;
        return common::Ok{};
      }
      if (r.state == common::ParseState::error) return protocol_error("head", r.reason);
    }
    auto n = receive(fd, deadline);
    if (!n) return n.error();
    if (*n == 0) {
      return closed_error(begin_ == end_ ? "connection closed before the response"
                                         : "connection closed in the response head");
    }
  }
}

common::Status ResponseReader::skip_body(const common::Fd& fd, const common::BodyFraming& framing,
                                         Clock::time_point deadline) {
  switch (framing.kind) {
    case common::BodyKind::none:
      return common::Ok{};
    case common::BodyKind::content_length:
      return skip_length(fd, framing.length, deadline);
    case common::BodyKind::chunked:
      return skip_chunked(fd, deadline);
    case common::BodyKind::until_close:
      return skip_until_close(fd, deadline);
  }
  return common::Ok{};
}

common::Status ResponseReader::skip_length(const common::Fd& fd, uint64_t length,
                                           Clock::time_point deadline) {
  uint64_t remaining = length;
  for (;;) {
    const size_t take = static_cast<size_t>(std::min<uint64_t>(end_ - begin_, remaining));
    begin_ += take;
    remaining -= take;
    body_bytes_ += take;
    if (remaining == 0) return common::Ok{};
    auto n = receive(fd, deadline);
    if (!n) return n.error();
    if (*n == 0) {
      return closed_error("connection closed after " + std::to_string(length - remaining) + " of " +
                          std::to_string(length) + " body bytes");
    }
  }
}

common::Status ResponseReader::skip_chunked(const common::Fd& fd, Clock::time_point deadline) {
  chunked_ = common::ChunkedDecoder{};
  for (;;) {
    while (begin_ < end_) {
      const auto step = chunked_.feed({buffer_.get() + begin_, end_ - begin_});
      begin_ += step.consumed;
      body_bytes_ += step.data.size();
      if (step.error != common::HttpError::none) return protocol_error("chunked body", step.reason);
      if (step.done) return common::Ok{};
      if (step.consumed == 0) break;  // needs more input than is buffered
    }
    auto n = receive(fd, deadline);
    if (!n) return n.error();
    if (*n == 0) return closed_error("connection closed in the chunked body");
  }
}

common::Status ResponseReader::skip_until_close(const common::Fd& fd, Clock::time_point deadline) {
  for (;;) {
    body_bytes_ += end_ - begin_;
    begin_ = end_;
    auto n = receive(fd, deadline);
    if (!n) return n.error();
    if (*n == 0) return common::Ok{};
  }
}

// Appends what the socket has to the unread bytes, making room first; 0 means the peer closed.
common::Result<size_t> ResponseReader::receive(const common::Fd& fd, Clock::time_point deadline) {
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (end_ == kBufferSize) {
    std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == kBufferSize) {
    return common::Error{common::Errc::limit_exceeded, "response: head larger than the buffer"};
  }
  for (;;) {
    bool expired = false;
    if (auto s = arm(fd, deadline, expired); !s) return s.error();
    if (expired) return timeout_error();
    auto n = common::recv_some(fd, buffer_.get() + end_, kBufferSize - end_);
    // A receive timeout shorter than the time left (set for an earlier, slower response) is
    // not yet the deadline: arm again and keep waiting.
    if (!n && n.error().code == common::Errc::timed_out && Clock::now() < deadline) continue;
    if (!n) return n.error();
    end_ += *n;
    wire_bytes_ += *n;
    return *n;
  }
}

// Keeps SO_RCVTIMEO near the time left before `deadline`, so one slow response cannot wait a
// whole timeout per recv; sets `expired` when no time is left.
common::Status ResponseReader::arm(const common::Fd& fd, Clock::time_point deadline,
                                   bool& expired) {
  const auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
  expired = left <= milliseconds(0);
  if (expired || (armed_ <= left + slack_ && armed_ + slack_ >= left)) return common::Ok{};
  armed_ = left;
  return common::set_io_timeouts(fd, left, timeout_);
}

}  // namespace client

#include "client/ws_worker.hpp"

#include <algorithm>
#include <thread>
#include <utility>

#include "client/ws_handshake.hpp"
#include "common/socket.hpp"

namespace client {

namespace ws = common::ws;

namespace {

common::Error timed_out(std::string_view what) {
  return common::Error{common::Errc::timed_out, std::string(what) + ": timed out"};
}

}  // namespace

WsWorker::WsWorker(const WsTarget& target, LiveCounters& live)
    : target_(target),
      live_(live),
      random_(std::random_device{}()),
      buffer_(new char[kReadBytes]),
      expected_(target.message_size, '\0') {}

void WsWorker::run(Plan& plan) {
  while (auto ticket = plan.next(Clock::now())) {
    // Open loop only: a closed-loop ticket is due already.
    if (ticket->due > Clock::now()) std::this_thread::sleep_until(ticket->due);
    send_one(*ticket);
  }
  close_cleanly();
}

void WsWorker::send_one(const Ticket& ticket) {
  const Clock::time_point attempt_start = Clock::now();
  if (!ensure_open(ticket)) return;
  fill_message(expected_, ++sequence_);
  if (auto sent = send_frame(ws::Opcode::binary, expected_); !sent) {
    fail(ticket, failure_of(sent.error().code), sent.error().message);
    return;
  }
  uint64_t wire_bytes = 0;
  auto echo = await_echo(Clock::now() + target_.timeout, wire_bytes);
  if (!echo) {
    fail(ticket, failure_of(echo.error().code), echo.error().message);
    return;
  }
  if (*echo != expected_) {
    fail(ticket, Failure::mismatch,
         "echo of message " + std::to_string(sequence_) + " differs from it (" +
             std::to_string(echo->size()) + " bytes, " + std::to_string(expected_.size()) +
             " sent)");
    return;
  }
  if (!ticket.counted) return;
  const Clock::time_point now = Clock::now();
  stats_.record_latency(now - ticket.due, now - attempt_start);
  ++stats_.requests;
  ++stats_.responses;
  ++stats_.succeeded;
  stats_.bytes_received += wire_bytes;
  live_.done.fetch_add(1, std::memory_order_relaxed);
}

// Connects and completes the opening handshake unless the connection is open already.
bool WsWorker::ensure_open(const Ticket& ticket) {
  if (connection_) return true;
  auto fd = common::connect_tcp(target_.address, target_.timeout);
  if (!fd) {
    fail(ticket, Failure::connect, fd.error().message);
    return false;
  }
  if (auto s = common::set_io_timeouts(*fd, target_.timeout, target_.timeout); !s) {
    fail(ticket, Failure::connect, s.error().message);
    return false;
  }
  connection_ = std::move(*fd);
  in_.clear();
  in_used_ = 0;
  if (auto s = handshake(Clock::now() + target_.timeout); !s) {
    const Failure kind =
        s.error().code == common::Errc::protocol ? Failure::handshake : failure_of(s.error().code);
    fail(ticket, kind, s.error().message);
    return false;
  }
  ++stats_.connections;
  return true;
}

// Sends the upgrade request and reads the answer's head; bytes after it stay in in_. Counts the
// answer's status and X-Backend. A refused upgrade is Errc::protocol.
common::Status WsWorker::handshake(Clock::time_point deadline) {
  key_ = new_websocket_key(random_);
  if (auto s = common::send_all(connection_, build_handshake(target_.handshake, key_)); !s) {
    return s;
  }
  common::ResponseHead head;
  for (;;) {
    const common::ParseResult r = common::parse_response_head(in_, common::HttpLimits{}, head);
    if (r.state == common::ParseState::error) {
      return common::Error{common::Errc::protocol,
                           "handshake: response head: " + std::string(r.reason)};
    }
    if (r.state == common::ParseState::complete) {
      in_used_ = r.consumed;
      break;
    }
    if (auto s = receive(deadline); !s) return s;
  }
  if (head.status >= 0 && static_cast<size_t>(head.status) < stats_.status.size()) {
    ++stats_.status[static_cast<size_t>(head.status)];
  }
  auto accepted = check_handshake_response(head, key_);
  if (accepted) {
    if (auto backend = head.headers.get("X-Backend")) {
      stats_.record_backend(*backend);
    } else {
      ++stats_.without_backend;
    }
  }
  return accepted;
}

// The payload of the next data message, answering pings on the way; a view that is valid until
// the next read. A close frame from the server is Errc::closed.
common::Result<std::string_view> WsWorker::await_echo(Clock::time_point deadline,
                                                      uint64_t& wire_bytes) {
  message_.clear();
  for (;;) {
    auto frame = next_frame(deadline);
    if (!frame) return frame.error();
    wire_bytes += frame->size;
    const ws::Opcode opcode = frame->header.opcode;
    if (opcode == ws::Opcode::ping) {
      if (auto s = send_frame(ws::Opcode::pong, frame->payload); !s) return s.error();
      continue;
    }
    if (opcode == ws::Opcode::pong) continue;
    if (opcode == ws::Opcode::close) {
      const ws::CloseParse close = ws::parse_close_payload(frame->payload);
      const std::string why = close.valid ? std::to_string(close.code) : std::string(close.reason);
      return common::Error{common::Errc::closed, "server " + target_.address.to_string() +
                                                     " closed the connection (" + why + ")"};
    }
    // The usual echo is one final frame, compared where it lies; fragments are put together.
    if (frame->header.fin && message_.empty()) return frame->payload;
    message_.append(frame->payload);
    if (frame->header.fin) return std::string_view(message_);
  }
}

// The next complete frame in in_, reading as needed; the frame returned before is consumed.
common::Result<ws::FrameParse> WsWorker::next_frame(Clock::time_point deadline) {
  in_.erase(0, std::exchange(in_used_, 0));
  const uint64_t max_payload = std::max(target_.message_size, ws::kMaxControlPayload);
  for (;;) {
    const ws::FrameParse frame = ws::parse_frame(in_, ws::FrameRules{false, max_payload});
    if (frame.state == common::ParseState::complete) {
      in_used_ = frame.size;
      return frame;
    }
    if (frame.state == common::ParseState::error) {
      return common::Error{common::Errc::protocol, "frame from " + target_.address.to_string() +
                                                       ": " + std::string(frame.reason)};
    }
    if (auto s = receive(deadline); !s) return s.error();
  }
}

// Appends what the socket has to in_. SO_RCVTIMEO (the whole timeout) bounds each wait, so a
// trickling peer is cut off within twice the timeout.
common::Status WsWorker::receive(Clock::time_point deadline) {
  if (Clock::now() >= deadline) return timed_out("read from " + target_.address.to_string());
  auto n = common::recv_some(connection_, buffer_.get(), kReadBytes);
  if (!n) return n.error();
  if (*n == 0) {
    return common::Error{common::Errc::closed, "server " + target_.address.to_string() +
                                                   " closed the connection without a close frame"};
  }
  in_.append(buffer_.get(), *n);
  return common::Ok{};
}

common::Status WsWorker::send_frame(ws::Opcode opcode, std::string_view payload) {
  out_.clear();
  const std::array<uint8_t, 4> mask = new_mask(random_);
  ws::append_frame(out_, opcode, payload, &mask);
  return common::send_all(connection_, out_);
}

// Close frame 1000, then frames are read (and dropped) until the server's close frame answers it.
void WsWorker::close_cleanly() {
  if (!connection_) return;
  if (send_frame(ws::Opcode::close, ws::close_payload(ws::kNormal))) {
    const Clock::time_point deadline = Clock::now() + target_.timeout;
    while (auto frame = next_frame(deadline)) {
      if (frame->header.opcode == ws::Opcode::close) {
        ++stats_.clean_closes;
        break;
      }
    }
  }
  drop();
}

void WsWorker::fail(const Ticket& ticket, Failure kind, std::string_view message) {
  drop();  // whatever state it is in, the next message gets a fresh connection
  if (!ticket.counted) return;
  ++stats_.requests;
  stats_.record_failure(kind, message);
  live_.done.fetch_add(1, std::memory_order_relaxed);
  live_.errors.fetch_add(1, std::memory_order_relaxed);
}

void WsWorker::drop() {
  connection_.reset();
  in_.clear();
  in_used_ = 0;
}

}  // namespace client

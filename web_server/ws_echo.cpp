#include "web_server/ws_echo.hpp"

#include <algorithm>
#include <memory>

#include "common/socket.hpp"

namespace web {

namespace ws = common::ws;

namespace {

// A message buffer larger than this is released after use rather than kept for the next one,
// so an idle connection does not hold a megabyte.
constexpr size_t kKeptCapacity = 64 * 1024;
constexpr size_t kReadBytes = 64 * 1024;
constexpr common::Millis kLingerTime{1000};
constexpr size_t kLingerBytes = 1024 * 1024;

void append_frame(std::string& out, ws::Opcode opcode, std::string_view payload) {
  ws::append_frame_header(out, opcode, true, payload.size());
  out.append(payload);
}

void append_close(std::string& out, uint16_t code) {
  const char payload[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  append_frame(out, ws::Opcode::close, std::string_view(payload, 2));
}

}  // namespace

size_t EchoSession::feed(std::string_view input, std::string& out) {
  size_t used = 0;
  while (!finished_ && used < input.size()) {
    if (!in_frame_) {
      const ws::HeaderParse parse =
          ws::parse_frame_header(input.substr(used), ws::FrameRules{true, max_message_});
      if (parse.state == common::ParseState::incomplete) break;
      if (parse.state == common::ParseState::error) {
        close(parse.close_code, out);
        break;
      }
      if (const uint16_t code = check_sequence(parse.header); code != 0) {
        close(code, out);
        break;
      }
      frame_ = parse.header;
      frame_read_ = 0;
      in_frame_ = true;
      used += frame_.size;
      if (ws::is_control(frame_.opcode)) control_.clear();
    }
    std::string& payload = ws::is_control(frame_.opcode) ? control_ : message_;
    const size_t take = static_cast<size_t>(
        std::min<uint64_t>(frame_.payload_length - frame_read_, input.size() - used));
    const size_t at = payload.size();
    payload.append(input.substr(used, take));
    ws::apply_mask(payload.data() + at, take, frame_.mask, frame_read_);
    frame_read_ += take;
    used += take;
    if (frame_read_ < frame_.payload_length) break;  // the rest of the payload is still to come
    in_frame_ = false;
    finish_frame(out);
  }
  return used;
}

uint16_t EchoSession::check_sequence(const ws::FrameHeader& header) {
  if (ws::is_control(header.opcode)) return 0;  // may come between the fragments of a message
  const bool continuation = header.opcode == ws::Opcode::continuation;
  if (continuation && !in_message_) return ws::kProtocolError;
  if (!continuation && in_message_) return ws::kProtocolError;
  const uint64_t so_far = continuation ? message_.size() : 0;
  if (header.payload_length > max_message_ - so_far) return ws::kMessageTooBig;
  if (!continuation) {
    in_message_ = true;
    message_opcode_ = header.opcode;
    message_.clear();
  }
  return 0;
}

void EchoSession::finish_frame(std::string& out) {
  switch (frame_.opcode) {
    case ws::Opcode::ping: append_frame(out, ws::Opcode::pong, control_); break;
    case ws::Opcode::pong: break;  // an unsolicited pong needs no answer
    case ws::Opcode::close: answer_close(out); break;
    default:
      if (frame_.fin) finish_message(out);
  }
}

void EchoSession::finish_message(std::string& out) {
  in_message_ = false;
  if (message_opcode_ == ws::Opcode::text && !ws::valid_utf8(message_)) {
    close(ws::kInvalidPayload, out);
    return;
  }
  append_frame(out, message_opcode_, message_);
  if (message_.capacity() > kKeptCapacity) {
    std::string().swap(message_);
  } else {
    message_.clear();
  }
}

// The reply to a peer's close frame: an empty one for an empty one, otherwise the same code.
void EchoSession::answer_close(std::string& out) {
  if (control_.empty()) {
    append_frame(out, ws::Opcode::close, {});
    finished_ = answered_close_ = true;
    return;
  }
  if (control_.size() == 1) return close(ws::kProtocolError, out);
  const auto code = static_cast<uint16_t>((static_cast<uint8_t>(control_[0]) << 8) |
                                          static_cast<uint8_t>(control_[1]));
  if (!ws::valid_close_code(code)) return close(ws::kProtocolError, out);
  if (!ws::valid_utf8(std::string_view(control_).substr(2))) {
    return close(ws::kInvalidPayload, out);
  }
  close(code, out);
  answered_close_ = true;
}

void EchoSession::close(uint16_t code, std::string& out) {
  append_close(out, code);
  finished_ = true;
}

void run_echo(const common::Fd& fd, std::string_view already_read, uint64_t max_message) {
  EchoSession session(max_message);
  std::string pending(already_read);  // bytes not yet consumed: at most a partial frame header
  std::string out;
  const auto buffer = std::make_unique<char[]>(kReadBytes);
  for (;;) {
    const size_t used = session.feed(pending, out);
    pending.erase(0, used);
    if (!out.empty()) {
      if (!common::send_all(fd, out)) return;
      out.clear();
    }
    if (session.finished()) {
      // The client may still be sending after a close the server started.
      if (!session.answered_close()) common::drain_before_close(fd, kLingerTime, kLingerBytes);
      return;
    }
    const auto got = common::recv_some(fd, buffer.get(), kReadBytes);
    if (!got || *got == 0) {
      // The peer left without a close frame, the server is shutting down (SHUT_RD), or the
      // connection idled out: say goodbye in case anyone still listens.
      session.close(ws::kGoingAway, out);
      (void)common::send_all(fd, out);
      return;
    }
    pending.append(buffer.get(), *got);
  }
}

}  // namespace web

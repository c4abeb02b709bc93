#include "web_server/ws_echo.hpp"

#include <algorithm>
#include <memory>

#include "common/socket.hpp"
#include "common/stream.hpp"
#include "common/transport.hpp"

namespace web {

namespace ws = common::ws;

namespace {

// A message buffer larger than this is released after use rather than kept for the next one,
// so an idle connection does not hold a megabyte.
constexpr size_t kKeptCapacity = 64 * 1024;
constexpr size_t kReadBytes = 64 * 1024;
constexpr common::Millis kLingerTime{1000};
constexpr size_t kLingerBuffer = 4096;
constexpr size_t kLingerBytes = 1024 * 1024;

void linger(const common::Fd& fd) {
  common::PlainSocket socket(fd);
  common::Stream stream(kLingerBuffer, kLingerBuffer);
  stream.attach(socket, kLingerTime);
  stream.linger_before_close(kLingerTime, kLingerBytes);
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
    used += take_payload(input.substr(used), out);
    if (finished_ || frame_read_ < frame_.payload_length) break;  // or the rest is still to come
    in_frame_ = false;
    finish_frame(out);
  }
  return used;
}

// Unmasks what input holds of the frame's payload onto the message (or control frame) and
// returns the bytes taken. Text is checked as it comes: a piece that cannot begin valid UTF-8
// fails the message at once (1007) rather than when its last fragment arrives.
size_t EchoSession::take_payload(std::string_view input, std::string& out) {
  const bool control = ws::is_control(frame_.opcode);
  std::string& payload = control ? control_ : message_;
  const auto take =
      static_cast<size_t>(std::min<uint64_t>(frame_.payload_length - frame_read_, input.size()));
  const size_t at = payload.size();
  payload.append(input.substr(0, take));
  ws::apply_mask(payload.data() + at, take, frame_.mask, frame_read_);
  frame_read_ += take;
  const bool text = !control && message_opcode_ == ws::Opcode::text;
  if (text && !utf8_.feed(std::string_view(payload).substr(at))) close(ws::kInvalidPayload, out);
  return take;
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
    utf8_ = {};
  }
  return 0;
}

void EchoSession::finish_frame(std::string& out) {
  switch (frame_.opcode) {
    case ws::Opcode::ping:
      ws::append_frame(out, ws::Opcode::pong, control_);
      break;
    case ws::Opcode::pong:
      break;  // an unsolicited pong needs no answer
    case ws::Opcode::close:
      answer_close(out);
      break;
    default:
      if (frame_.fin) finish_message(out);
  }
}

void EchoSession::finish_message(std::string& out) {
  in_message_ = false;
  if (message_opcode_ == ws::Opcode::text && !utf8_.complete()) {
    close(ws::kInvalidPayload, out);
    return;
  }
  ws::append_frame(out, message_opcode_, message_);
  if (message_.capacity() > kKeptCapacity) {
    std::string().swap(message_);
  } else {
    message_.clear();
  }
}

void EchoSession::answer_close(std::string& out) {
  answered_close_ = ws::append_close_answer(out, control_);
  finished_ = true;
}

void EchoSession::close(uint16_t code, std::string& out) {
  ws::append_close(out, code);
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
      if (!session.answered_close()) linger(fd);
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

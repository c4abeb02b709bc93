// The /ws endpoint: a WebSocket echo (RFC 6455) on a connection whose handshake was accepted.
// Data messages come back whole with their opcode, pings are answered with pongs, and a close
// frame is answered with the same code, after which the server closes the connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/fd.hpp"
#include "common/utf8.hpp"
#include "common/websocket.hpp"

namespace web {

// The protocol without I/O: client bytes in, reply frames out. Single-threaded.
class EchoSession {
 public:
  // max_message: the largest message (all its fragments) accepted; beyond it -> close 1009.
  explicit EchoSession(uint64_t max_message) : max_message_(max_message) {}

  // Consumes whole frame headers and any payload bytes from the start of input and appends the
  // replies to out. Returns the bytes used: fewer than input.size() only when input ends inside
  // a frame header (pass those bytes again with more) or the session finished.
  size_t feed(std::string_view input, std::string& out);

  // Appends a close frame with `code` (for the server's own reasons: going away) and finishes.
  void close(uint16_t code, std::string& out);

  // A close frame was sent: the server closes the connection now.
  bool finished() const { return finished_; }
  // The close frame sent answered the peer's: the peer expects the connection to end.
  bool answered_close() const { return answered_close_; }

 private:
  // Checks a data frame against the message in progress; 0 when it may go on.
  uint16_t check_sequence(const common::ws::FrameHeader& header);
  size_t take_payload(std::string_view input, std::string& out);
  void finish_frame(std::string& out);
  void finish_message(std::string& out);
  void answer_close(std::string& out);

  uint64_t max_message_;
  bool finished_ = false;
  bool answered_close_ = false;
  bool in_frame_ = false;  // a header was read; payload bytes follow
  common::ws::FrameHeader frame_;
  uint64_t frame_read_ = 0;  // payload bytes of frame_ read so far
  bool in_message_ = false;  // a data frame without FIN was read
  common::ws::Opcode message_opcode_ = common::ws::Opcode::binary;
  std::string message_;         // unmasked payload of the message in progress
  common::Utf8Validator utf8_;  // of message_, when it is text
  std::string control_;         // unmasked payload of the control frame being read
};

// Runs an EchoSession on the connection until it finishes, the peer goes, or a read times out
// (the socket's SO_RCVTIMEO, i.e. --idle-timeout). `already_read` holds bytes that arrived after
// the handshake.
void run_echo(const common::Fd& fd, std::string_view already_read, uint64_t max_message);

}  // namespace web

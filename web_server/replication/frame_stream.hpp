// Frames over a connected socket: a reader that buffers what recv() returns and hands out whole
// frames (one read() is never taken as one frame), and a writer that sends one frame at once.
#pragma once

#include <string>
#include <string_view>

#include "common/fd.hpp"
#include "common/result.hpp"
#include "web_server/replication/frame.hpp"

namespace web::replication {

class FrameReader {
 public:
  explicit FrameReader(const common::Fd& fd) : fd_(fd) {}

  // Blocks until one whole frame is buffered. The payload view stays valid until the next call.
  // Errors: closed (EOF between frames), protocol ("truncated frame: EOF after 7 of 12 bytes",
  // "unknown frame type", "frame length over the maximum"), and the socket's own (timed_out...).
  common::Result<Frame> read();
  // Whether read() can answer without blocking: a whole frame (or a broken one) is buffered.
  bool ready() const;

 private:
  const common::Fd& fd_;
  std::string buffer_;
  size_t start_ = 0;  // the parsed frames before this offset are handed out already
};

// An Errc::protocol error: the peer broke the protocol, and the link must go.
common::Error protocol_error(std::string why);

// Sends one frame (header and payload in one gathered send).
common::Status send_frame(const common::Fd& fd, FrameType type, std::string_view payload);

}  // namespace web::replication

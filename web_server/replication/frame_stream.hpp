// Frames over a connected socket: a reader that buffers what recv() returns and hands out whole
// frames (one read() is never taken as one frame), and a writer that sends them. Both start in
// clear, for the handshake, which then switches each to its direction's AEAD (link_cipher.hpp):
// from then on every frame written is sealed and every frame read must open.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/fd.hpp"
#include "common/result.hpp"
#include "web_server/replication/frame.hpp"
#include "web_server/replication/link_cipher.hpp"

namespace web::replication {

class FrameReader {
 public:
  explicit FrameReader(const common::Fd& fd) : fd_(fd) {}

  // Every later frame must open with `opener`, or read() fails.
  void start_opening(FrameOpener opener) { opener_.emplace(std::move(opener)); }

  // Blocks until one whole frame is buffered (and opened). The payload view stays valid until
  // the next call. Errors: closed (EOF between frames), protocol ("truncated frame: EOF after 7
  // of 12 bytes", "unknown frame type", "frame length over the maximum", "frame 3 (CHANGE) fails
  // authentication: ..."), and the socket's own (timed_out...).
  common::Result<Frame> read();
  // Whether read() can answer without blocking: a whole frame (or a broken one) is buffered.
  bool ready() const;

 private:
  const common::Fd& fd_;
  std::optional<FrameOpener> opener_;
  std::string buffer_;
  size_t start_ = 0;  // the parsed frames before this offset are handed out already
};

// The one way frames leave a link. Used by one thread at a time (an outbound link's sender;
// the ACKs of an inbound link).
class FrameWriter {
 public:
  explicit FrameWriter(const common::Fd& fd) : fd_(fd) {}

  // Every later frame is sealed with `sealer`.
  void start_sealing(FrameSealer sealer) { sealer_.emplace(std::move(sealer)); }

  // Appends one whole frame to `out`, for send(out). Sealed frames are numbered as appended, so
  // whatever is appended must be sent, in order; a sealing failure makes the next send fail.
  void append(std::string& out, FrameType type, std::string_view payload);
  // Sends frames built by append() (nothing, after a sealing failure: that error instead).
  common::Status send(std::string_view frames);
  // Sends one frame (header and payload in one send).
  common::Status send(FrameType type, std::string_view payload);

  const common::Fd& fd() const { return fd_; }

 private:
  const common::Fd& fd_;
  std::optional<FrameSealer> sealer_;
  std::optional<common::Error> broken_;  // why sealing failed
  std::string one_;                      // send(type, payload)'s buffer, reused
};

// An Errc::protocol error: the peer broke the protocol, and the link must go.
common::Error protocol_error(std::string why);

}  // namespace web::replication

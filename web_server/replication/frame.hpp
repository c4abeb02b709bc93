// The frames peers exchange on a replication link, as a pure codec over byte buffers:
// a 4-byte big-endian payload length, a 1-byte type, then the payload. The length is checked
// against a hard maximum as soon as the header is there, so a hostile length never makes a
// reader buffer more than one largest change (a 1 MiB value, its key and the fixed fields).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/http_parser.hpp"

namespace web::replication {

enum class FrameType : uint8_t {
  hello = 1,      // dialer -> acceptor: origin id, nonce
  challenge = 2,  // acceptor -> dialer: origin id, nonce, the acceptor's proof
  proof = 3,      // dialer -> acceptor: the dialer's proof
  ack = 4,        // acceptor -> dialer: the acceptor's summary (what it stored durably)
  change = 5,     // dialer -> acceptor: one change
  progress = 6,   // dialer -> acceptor each heartbeat: the origins' promises it knows (also the
                  // link's liveness when idle); answered by ack
  skip = 7,       // dialer -> acceptor in a catch-up: an origin's log up to a seq holds no more
};
std::string_view to_string(FrameType type);

inline constexpr size_t kFrameHeaderBytes = 5;
inline constexpr size_t kMaxFramePayload = 2 * 1024 * 1024;

struct Frame {
  FrameType type = FrameType::progress;
  std::string_view payload;  // points into the parsed buffer
};

struct FrameParse {
  common::ParseState state = common::ParseState::incomplete;
  Frame frame;              // when complete
  size_t consumed = 0;      // header + payload, when complete
  std::string_view reason;  // static text, when error
};

// Parses the frame at the start of `buffer`. Errors: an unknown type, a payload longer than
// `max_payload`. Never reads past buffer.size().
FrameParse parse_frame(std::string_view buffer, size_t max_payload = kMaxFramePayload);

// The 5 header bytes of a frame whose payload is `payload_size` (<= kMaxFramePayload) long.
std::string frame_header(FrameType type, size_t payload_size);
// Appends one whole frame.
void append_frame(std::string& out, FrameType type, std::string_view payload);

}  // namespace web::replication

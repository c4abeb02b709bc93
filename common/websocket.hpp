// The WebSocket protocol (RFC 6455) as pure functions over buffers: the opening handshake's
// checks and accept key, the frame codec, masking, and the close frame's payload. The one codec
// every endpoint uses; text is checked with common/utf8.hpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/http_parser.hpp"

namespace common::ws {

enum class Opcode : uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};
inline bool is_control(Opcode op) { return (static_cast<uint8_t>(op) & 0x8) != 0; }

// Status codes carried by a close frame (RFC 6455 §7.4.1).
enum CloseCode : uint16_t {
  kNormal = 1000,
  kGoingAway = 1001,
  kProtocolError = 1002,
  kUnsupportedData = 1003,  // e.g. a data message to an endpoint that takes none
  kNoStatus = 1005,         // never sent: stands for a close frame without a code
  kInvalidPayload = 1007,   // e.g. a text message that is not UTF-8
  kPolicyViolation = 1008,
  kMessageTooBig = 1009,
};
// Whether a peer may send `code` in a close frame (1005, 1006, 1015 and unassigned are not).
bool valid_close_code(uint16_t code);

inline constexpr size_t kMaxControlPayload = 125;
inline constexpr size_t kMaxHeaderBytes = 14;  // 2 + 8 (64-bit length) + 4 (mask)

struct FrameHeader {
  bool fin = true;
  uint8_t rsv = 0;  // RSV1-3 as the low three bits; nonzero only with a negotiated extension
  Opcode opcode = Opcode::binary;
  bool masked = false;
  std::array<uint8_t, 4> mask{};
  uint64_t payload_length = 0;
  size_t size = 0;  // bytes of the header itself
};

struct FrameRules {
  bool require_mask = true;           // a server requires masked frames, a client unmasked ones
  uint64_t max_payload = UINT64_MAX;  // a longer frame -> kMessageTooBig
};

struct HeaderParse {
  ParseState state = ParseState::incomplete;
  FrameHeader header;       // when complete
  uint16_t close_code = 0;  // when error: the code to close the connection with
  std::string_view reason;  // when error: static text saying why
};

// Parses the frame header at the start of buffer and checks what can be checked from it alone:
// no RSV bits, a known opcode, control frames final and at most 125 bytes, the masking rule, a
// 64-bit length with its top bit clear, and max_payload.
HeaderParse parse_frame_header(std::string_view buffer, const FrameRules& rules);

// One whole frame at the start of buffer: incomplete until its payload is all there, though
// `header` is filled (header.size > 0) as soon as the header is, so that a frame can be refused
// on its header alone. Errors: everything parse_frame_header refuses.
struct FrameParse {
  ParseState state = ParseState::incomplete;
  FrameHeader header;
  std::string_view payload;  // when complete: as on the wire (masked, if so), a view into buffer
  size_t size = 0;           // when complete: header and payload bytes
  uint16_t close_code = 0;   // when error, as in HeaderParse
  std::string_view reason;
};
FrameParse parse_frame(std::string_view buffer, const FrameRules& rules);

// Appends a frame header to out; a mask is written only when `mask` is given.
void append_frame_header(std::string& out, Opcode opcode, bool fin, uint64_t payload_length,
                         const std::array<uint8_t, 4>* mask = nullptr);
// Appends a final frame carrying payload, masked with `mask` when given (a client must mask).
void append_frame(std::string& out, Opcode opcode, std::string_view payload,
                  const std::array<uint8_t, 4>* mask = nullptr);

// XORs data with the mask in place; `offset` is the position of data[0] within the payload, so a
// payload can be unmasked piece by piece as it arrives.
void apply_mask(char* data, size_t size, const std::array<uint8_t, 4>& mask, uint64_t offset);

// A close frame's payload is empty, or a code in two bytes then a UTF-8 reason (§5.5.1).
std::string close_payload(uint16_t code, std::string_view reason = {});
// Appends a close frame with `code` and no reason.
void append_close(std::string& out, uint16_t code);

struct CloseParse {
  bool valid = true;
  // When valid: the peer's code (kNoStatus for an empty payload) and reason, a view into the
  // payload. When not: the code to close with (1002, or 1007 for a reason not UTF-8) and why.
  uint16_t code = kNoStatus;
  std::string_view reason;
};
CloseParse parse_close_payload(std::string_view payload);

// Appends the answer to a peer's close frame of `payload`: an empty close for an empty one, the
// same code for a valid one, 1002 or 1007 for an invalid one. Returns whether the answer agreed
// to the peer's close (so the peer expects the connection to end).
bool append_close_answer(std::string& out, std::string_view payload);

// The value of Sec-WebSocket-Accept for a client's Sec-WebSocket-Key:
// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
std::string accept_key(std::string_view client_key);

struct HandshakeCheck {
  int status = 101;         // 101 to accept; 400 for a malformed request; 426 for another version
  std::string_view reason;  // why, when status != 101
  std::string_view key;     // Sec-WebSocket-Key, when status == 101
};
// Checks a client's opening handshake (RFC 6455 §4.2.1): GET over HTTP/1.1, Upgrade: websocket,
// Connection: Upgrade, a key of 16 base64-encoded bytes, Sec-WebSocket-Version: 13. A server
// answers 426 with "Sec-WebSocket-Version: 13" when the version is another.
HandshakeCheck check_handshake(const RequestHead& head);

}  // namespace common::ws

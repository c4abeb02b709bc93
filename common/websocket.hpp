// The WebSocket protocol (RFC 6455) as pure functions over buffers: the opening handshake's
// checks and accept key, the frame header codec, masking, and the UTF-8 rule for text.
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
  kInvalidPayload = 1007,  // e.g. a text message that is not UTF-8
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
  bool require_mask = true;        // a server requires masked frames, a client unmasked ones
  uint64_t max_payload = UINT64_MAX;  // a longer frame -> kMessageTooBig
};

struct HeaderParse {
  ParseState state = ParseState::incomplete;
  FrameHeader header;  // when complete
  uint16_t close_code = 0;  // when error: the code to close the connection with
  std::string_view reason;  // when error: static text saying why
};

// Parses the frame header at the start of buffer and checks what can be checked from it alone:
// no RSV bits, a known opcode, control frames final and at most 125 bytes, the masking rule, a
// 64-bit length with its top bit clear, and max_payload.
HeaderParse parse_frame_header(std::string_view buffer, const FrameRules& rules);

// Appends a frame header to out; a mask is written only when `mask` is given.
void append_frame_header(std::string& out, Opcode opcode, bool fin, uint64_t payload_length,
                         const std::array<uint8_t, 4>* mask = nullptr);

// XORs data with the mask in place; `offset` is the position of data[0] within the payload, so a
// payload can be unmasked piece by piece as it arrives.
void apply_mask(char* data, size_t size, const std::array<uint8_t, 4>& mask, uint64_t offset);

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view text);

// The value of Sec-WebSocket-Accept for a client's Sec-WebSocket-Key:
// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
std::string accept_key(std::string_view client_key);

struct HandshakeCheck {
  int status = 101;  // 101 to accept; 400 for a malformed request; 426 for another version
  std::string_view reason;  // why, when status != 101
  std::string_view key;     // Sec-WebSocket-Key, when status == 101
};
// Checks a client's opening handshake (RFC 6455 §4.2.1): GET over HTTP/1.1, Upgrade: websocket,
// Connection: Upgrade, a key of 16 base64-encoded bytes, Sec-WebSocket-Version: 13. A server
// answers 426 with "Sec-WebSocket-Version: 13" when the version is another.
HandshakeCheck check_handshake(const RequestHead& head);

}  // namespace common::ws

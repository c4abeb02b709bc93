#include "common/websocket.hpp"

#include <openssl/evp.h>

#include "common/base64.hpp"
#include "common/utf8.hpp"

namespace common::ws {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

HeaderParse refuse(uint16_t code, std::string_view reason) {
  HeaderParse result;
  result.state = ParseState::error;
  result.close_code = code;
  result.reason = reason;
  return result;
}

bool known_opcode(uint8_t op) { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }

// The checks that need only the first two bytes; an empty view when they pass.
std::string_view first_bytes_problem(const FrameHeader& h, uint8_t length7,
                                     const FrameRules& rules) {
  if (h.rsv != 0) return "reserved bits set without an extension";
  if (!known_opcode(static_cast<uint8_t>(h.opcode))) return "unknown opcode";
  if (is_control(h.opcode) && !h.fin) return "fragmented control frame";
  if (is_control(h.opcode) && length7 > kMaxControlPayload) return "control frame over 125 bytes";
  if (h.masked != rules.require_mask) {
    return rules.require_mask ? "unmasked client frame" : "masked server frame";
  }
  return {};
}

uint64_t big_endian(std::string_view bytes) {
  uint64_t value = 0;
  for (char c : bytes) value = (value << 8) | static_cast<uint8_t>(c);
  return value;
}

// A key is 16 random bytes in base64: 22 characters and "==".
bool valid_key(std::string_view key) {
  if (key.size() != 24 || key.substr(22) != "==") return false;
  unsigned char decoded[18];
  // EVP_DecodeBlock counts the padding as bytes (18) and fails (-1) on a non-base64 character.
  return EVP_DecodeBlock(decoded, reinterpret_cast<const unsigned char*>(key.data()), 24) == 18;
}

HandshakeCheck refuse_handshake(int status, std::string_view reason) {
  return HandshakeCheck{status, reason, {}};
}

}  // namespace

bool valid_close_code(uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;  // registered and private use
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
}

HeaderParse parse_frame_header(std::string_view buffer, const FrameRules& rules) {
  if (buffer.size() < 2) return {};
  const auto b0 = static_cast<uint8_t>(buffer[0]);
  const auto b1 = static_cast<uint8_t>(buffer[1]);
  FrameHeader h;
  h.fin = (b0 & 0x80) != 0;
  h.rsv = static_cast<uint8_t>((b0 >> 4) & 0x7);
  h.opcode = static_cast<Opcode>(b0 & 0x0F);
  h.masked = (b1 & 0x80) != 0;
  const auto length7 = static_cast<uint8_t>(b1 & 0x7F);
  if (auto problem = first_bytes_problem(h, length7, rules); !problem.empty()) {
    return refuse(kProtocolError, problem);
  }
  const size_t length_bytes = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
  h.size = 2 + length_bytes + (h.masked ? 4 : 0);
  if (buffer.size() < h.size) return {};
  h.payload_length = length_bytes == 0 ? length7 : big_endian(buffer.substr(2, length_bytes));
  if (h.payload_length >> 63) return refuse(kProtocolError, "64-bit length with the top bit set");
  if (h.payload_length > rules.max_payload) return refuse(kMessageTooBig, "frame over the limit");
  if (h.masked) {
    for (size_t i = 0; i < 4; ++i) h.mask[i] = static_cast<uint8_t>(buffer[2 + length_bytes + i]);
  }
  HeaderParse result;
  result.state = ParseState::complete;
  result.header = h;
  return result;
}

FrameParse parse_frame(std::string_view buffer, const FrameRules& rules) {
  const HeaderParse parse = parse_frame_header(buffer, rules);
  FrameParse frame;
  frame.state = parse.state;
  frame.close_code = parse.close_code;
  frame.reason = parse.reason;
  if (parse.state != ParseState::complete) return frame;
  frame.header = parse.header;
  if (buffer.size() - parse.header.size < parse.header.payload_length) {
    frame.state = ParseState::incomplete;
    return frame;
  }
  const auto length = static_cast<size_t>(parse.header.payload_length);
  frame.payload = buffer.substr(parse.header.size, length);
  frame.size = parse.header.size + length;
  return frame;
}

void append_frame_header(std::string& out, Opcode opcode, bool fin, uint64_t payload_length,
                         const std::array<uint8_t, 4>* mask) {
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | static_cast<uint8_t>(opcode)));
  const uint8_t mask_bit = mask ? 0x80 : 0;
  if (payload_length <= 125) {
    out.push_back(static_cast<char>(mask_bit | payload_length));
  } else {
    const bool short_length = payload_length <= 0xFFFF;
    out.push_back(static_cast<char>(mask_bit | (short_length ? 126 : 127)));
    for (int shift = short_length ? 8 : 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((payload_length >> shift) & 0xFF));
    }
  }
  if (mask) out.append(reinterpret_cast<const char*>(mask->data()), mask->size());
}

void append_frame(std::string& out, Opcode opcode, std::string_view payload,
                  const std::array<uint8_t, 4>* mask) {
  append_frame_header(out, opcode, true, payload.size(), mask);
  const size_t at = out.size();
  out.append(payload);
  if (mask) apply_mask(out.data() + at, payload.size(), *mask, 0);
}

void apply_mask(char* data, size_t size, const std::array<uint8_t, 4>& mask, uint64_t offset) {
  for (size_t i = 0; i < size; ++i) {
    data[i] = static_cast<char>(static_cast<uint8_t>(data[i]) ^ mask[(offset + i) & 3]);
  }
}

std::string close_payload(uint16_t code, std::string_view reason) {
  std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  return payload.append(reason);
}

void append_close(std::string& out, uint16_t code) {
  append_frame(out, Opcode::close, close_payload(code));
}

CloseParse parse_close_payload(std::string_view payload) {
  if (payload.empty()) return {};
  if (payload.size() == 1) return {false, kProtocolError, "close payload of one byte"};
  const auto code = static_cast<uint16_t>(big_endian(payload.substr(0, 2)));
  if (!valid_close_code(code)) return {false, kProtocolError, "close code a peer may not send"};
  const std::string_view reason = payload.substr(2);
  if (!valid_utf8(reason)) return {false, kInvalidPayload, "close reason not UTF-8"};
  return {true, code, reason};
}

bool append_close_answer(std::string& out, std::string_view payload) {
  const CloseParse close = parse_close_payload(payload);
  if (close.valid && close.code == kNoStatus) {
    append_frame(out, Opcode::close, {});
  } else {
    append_close(out, close.code);
  }
  return close.valid;
}

std::string accept_key(std::string_view client_key) {
  std::string input(client_key);
  input += kGuid;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  EVP_Digest(input.data(), input.size(), digest, &digest_size, EVP_sha1(), nullptr);
  return base64_encode(std::string_view(reinterpret_cast<const char*>(digest), digest_size));
}

HandshakeCheck check_handshake(const RequestHead& head) {
  if (head.method != "GET") return refuse_handshake(400, "a WebSocket handshake must be a GET");
  if (head.version_minor < 1) return refuse_handshake(400, "a WebSocket handshake needs HTTP/1.1");
  const auto upgrade = head.headers.get("Upgrade");
  if (!upgrade || !has_token(*upgrade, "websocket")) {
    return refuse_handshake(400, "missing Upgrade: websocket");
  }
  const auto connection = head.headers.get("Connection");
  if (!connection || !has_token(*connection, "upgrade")) {
    return refuse_handshake(400, "missing Connection: Upgrade");
  }
  const auto version = head.headers.get("Sec-WebSocket-Version");
  if (!version) return refuse_handshake(400, "missing Sec-WebSocket-Version");
  if (*version != "13") return refuse_handshake(426, "unsupported Sec-WebSocket-Version");
  const auto key = head.headers.get("Sec-WebSocket-Key");
  if (!key || head.headers.count("Sec-WebSocket-Key") != 1 || !valid_key(*key)) {
    return refuse_handshake(400, "missing or malformed Sec-WebSocket-Key");
  }
  return HandshakeCheck{101, {}, *key};
}

}  // namespace common::ws

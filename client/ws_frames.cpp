#include "client/ws_frames.hpp"

namespace client {

namespace ws = common::ws;

std::array<uint8_t, 4> new_mask(std::mt19937_64& random) {
  const uint64_t word = random();
  return {static_cast<uint8_t>(word), static_cast<uint8_t>(word >> 8),
          static_cast<uint8_t>(word >> 16), static_cast<uint8_t>(word >> 24)};
}

void append_masked_frame(std::string& out, ws::Opcode opcode, std::string_view payload,
                         const std::array<uint8_t, 4>& mask) {
  ws::append_frame_header(out, opcode, true, payload.size(), &mask);
  const size_t at = out.size();
  out.append(payload);
  ws::apply_mask(out.data() + at, payload.size(), mask, 0);
}

std::string close_payload(uint16_t code) {
  return {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
}

uint16_t close_code_of(std::string_view payload) {
  if (payload.size() < 2) return 1005;
  return static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) |
                               static_cast<uint8_t>(payload[1]));
}

void fill_message(std::string& payload, uint64_t sequence) {
  for (size_t i = 0; i < payload.size(); ++i) {
    payload[i] = i < 8 ? static_cast<char>(sequence >> (8 * i)) : static_cast<char>('a' + i % 26);
  }
}

ServerFrame parse_server_frame(std::string_view buffer, uint64_t max_payload) {
  const ws::HeaderParse parse = ws::parse_frame_header(buffer, ws::FrameRules{false, max_payload});
  ServerFrame frame;
  frame.state = parse.state;
  if (parse.state != common::ParseState::complete) {
    frame.reason = parse.reason;
    return frame;
  }
  if (buffer.size() - parse.header.size < parse.header.payload_length) {
    frame.state = common::ParseState::incomplete;
    return frame;
  }
  frame.header = parse.header;
  frame.size = parse.header.size + static_cast<size_t>(parse.header.payload_length);
  frame.payload =
      buffer.substr(parse.header.size, static_cast<size_t>(parse.header.payload_length));
  return frame;
}

}  // namespace client

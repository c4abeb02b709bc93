// The frames the WebSocket mode sends and reads, over common::ws's codec: masked client frames
// out, unmasked server frames in, and the payload each message carries. Pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "common/http_parser.hpp"
#include "common/websocket.hpp"

namespace client {

// A frame mask from the connection's generator: every frame gets a new one (RFC 6455 §5.3).
std::array<uint8_t, 4> new_mask(std::mt19937_64& random);

// Appends a final frame of `opcode` carrying `payload`, masked with `mask` (a client must mask).
void append_masked_frame(std::string& out, common::ws::Opcode opcode, std::string_view payload,
                         const std::array<uint8_t, 4>& mask);

// The payload of a close frame with `code` and no reason.
std::string close_payload(uint16_t code);
// The status code in a close frame's payload; 1005 ("no status received") when it has none.
uint16_t close_code_of(std::string_view payload);

// Rewrites `payload` (its size is the message size) for message `sequence`: the sequence number's
// bytes first, so that an echo of an earlier message never matches, then a fixed pattern.
void fill_message(std::string& payload, uint64_t sequence);

struct ServerFrame {
  common::ParseState state = common::ParseState::incomplete;
  common::ws::FrameHeader header;  // when complete
  std::string_view payload;        // when complete: a view into the buffer
  size_t size = 0;                 // when complete: header and payload bytes
  std::string_view reason;         // when error: static text saying why
};

// One complete server frame at the start of `buffer`: incomplete until its whole payload is
// there. Errors: everything common::ws::parse_frame_header refuses for an unmasked frame, and a
// payload over `max_payload`.
ServerFrame parse_server_frame(std::string_view buffer, uint64_t max_payload);

}  // namespace client

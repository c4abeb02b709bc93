#include "web_server/live/client_frames.hpp"

#include "common/websocket.hpp"

namespace web::live {

namespace ws = common::ws;

namespace {

void append_frame(std::string& out, ws::Opcode opcode, std::string_view payload) {
  ws::append_frame_header(out, opcode, true, payload.size());
  out.append(payload);
}

}  // namespace

size_t ClientFrames::feed(std::string_view input, std::string& out) {
  size_t used = 0;
  while (!finished_ && used < input.size()) {
    const ws::HeaderParse parse = ws::parse_frame_header(
        input.substr(used), ws::FrameRules{true, ws::kMaxControlPayload});
    if (parse.state == common::ParseState::incomplete) break;
    if (parse.state == common::ParseState::error) {
      close(parse.close_code, out);
      break;
    }
    const ws::FrameHeader& header = parse.header;
    if (!ws::is_control(header.opcode)) {
      close(kUnsupportedData, out);
      break;
    }
    // A control frame is at most 14 + 125 bytes: wait until it is here whole.
    const size_t length = static_cast<size_t>(header.payload_length);
    if (input.size() - used < header.size + length) break;
    std::string payload(input.substr(used + header.size, length));
    ws::apply_mask(payload.data(), payload.size(), header.mask, 0);
    used += header.size + length;
    if (header.opcode == ws::Opcode::ping) append_frame(out, ws::Opcode::pong, payload);
    if (header.opcode == ws::Opcode::close) answer_close(payload, out);
  }
  return used;
}

// The reply to a peer's close frame: an empty one for an empty one, otherwise the same code.
void ClientFrames::answer_close(std::string_view payload, std::string& out) {
  if (payload.empty()) {
    append_frame(out, ws::Opcode::close, {});
    finished_ = peer_closed_ = true;
    return;
  }
  if (payload.size() == 1) return close(ws::kProtocolError, out);
  const auto code = static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) |
                                          static_cast<uint8_t>(payload[1]));
  if (!ws::valid_close_code(code)) return close(ws::kProtocolError, out);
  if (!ws::valid_utf8(payload.substr(2))) return close(ws::kInvalidPayload, out);
  close(code, out);
  peer_closed_ = true;
}

void ClientFrames::close(uint16_t code, std::string& out) {
  const char payload[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  append_frame(out, ws::Opcode::close, std::string_view(payload, 2));
  finished_ = true;
}

}  // namespace web::live

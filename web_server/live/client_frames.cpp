#include "web_server/live/client_frames.hpp"

#include "common/websocket.hpp"

namespace web::live {

namespace ws = common::ws;

size_t ClientFrames::feed(std::string_view input, std::string& out) {
  size_t used = 0;
  while (!finished_ && used < input.size()) {
    // A control frame is at most 14 + 125 bytes: it is read whole.
    const ws::FrameParse frame =
        ws::parse_frame(input.substr(used), ws::FrameRules{true, ws::kMaxControlPayload});
    if (frame.state == common::ParseState::error) {
      close(frame.close_code, out);
      break;
    }
    if (frame.header.size > 0 && !ws::is_control(frame.header.opcode)) {
      close(ws::kUnsupportedData, out);
      break;
    }
    if (frame.state == common::ParseState::incomplete) break;
    std::string payload(frame.payload);
    ws::apply_mask(payload.data(), payload.size(), frame.header.mask, 0);
    used += frame.size;
    if (frame.header.opcode == ws::Opcode::ping) ws::append_frame(out, ws::Opcode::pong, payload);
    if (frame.header.opcode == ws::Opcode::close) {
      peer_closed_ = ws::append_close_answer(out, payload);
      finished_ = true;
    }
  }
  return used;
}

void ClientFrames::close(uint16_t code, std::string& out) {
  ws::append_close(out, code);
  finished_ = true;
}

}  // namespace web::live

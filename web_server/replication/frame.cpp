#include "web_server/replication/frame.hpp"

namespace web::replication {

std::string_view to_string(FrameType type) {
  switch (type) {
    case FrameType::hello:
      return "HELLO";
    case FrameType::challenge:
      return "CHALLENGE";
    case FrameType::proof:
      return "PROOF";
    case FrameType::ack:
      return "ACK";
    case FrameType::change:
      return "CHANGE";
    case FrameType::progress:
      return "PROGRESS";
    case FrameType::skip:
      return "SKIP";
  }
  return "UNKNOWN";
}

namespace {

bool known_type(uint8_t type) {
  return type >= static_cast<uint8_t>(FrameType::hello) &&
         type <= static_cast<uint8_t>(FrameType::skip);
}

uint32_t read_be32(std::string_view bytes) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) value = value << 8 | static_cast<uint8_t>(bytes[i]);
  return value;
}

}  // namespace

FrameParse parse_frame(std::string_view buffer, size_t max_payload) {
  FrameParse result;
  if (buffer.size() >= 4 && read_be32(buffer) > max_payload) {
    result.state = common::ParseState::error;
    result.reason = "frame length over the maximum";
    return result;
  }
  if (buffer.size() < kFrameHeaderBytes) return result;
  const auto type = static_cast<uint8_t>(buffer[4]);
  if (!known_type(type)) {
    result.state = common::ParseState::error;
    result.reason = "unknown frame type";
    return result;
  }
  const size_t length = read_be32(buffer);
  if (buffer.size() - kFrameHeaderBytes < length) return result;
  result.state = common::ParseState::complete;
  result.frame = Frame{static_cast<FrameType>(type), buffer.substr(kFrameHeaderBytes, length)};
  result.consumed = kFrameHeaderBytes + length;
  return result;
}

std::string frame_header(FrameType type, size_t payload_size) {
  const auto length = static_cast<uint32_t>(payload_size);
  std::string header;
  for (int shift = 24; shift >= 0; shift -= 8) header.push_back(static_cast<char>(length >> shift));
  header.push_back(static_cast<char>(type));
  return header;
}

void append_frame(std::string& out, FrameType type, std::string_view payload) {
  out += frame_header(type, payload.size());
  out += payload;
}

}  // namespace web::replication

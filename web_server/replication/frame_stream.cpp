#include "web_server/replication/frame_stream.hpp"

#include "common/socket.hpp"

namespace web::replication {

namespace {
constexpr size_t kReadChunk = 64 * 1024;
}

bool FrameReader::ready() const {
  return parse_frame(std::string_view(buffer_).substr(start_)).state !=
         common::ParseState::incomplete;
}

common::Result<Frame> FrameReader::read() {
  if (start_ > 0) {  // the last frame handed out is no longer referenced
    buffer_.erase(0, start_);
    start_ = 0;
  }
  for (;;) {
    const FrameParse parsed = parse_frame(buffer_);
    if (parsed.state == common::ParseState::complete) {
      start_ = parsed.consumed;
      return parsed.frame;
    }
    if (parsed.state == common::ParseState::error) {
      return protocol_error(std::string(parsed.reason));
    }
    const size_t had = buffer_.size();
    buffer_.resize(had + kReadChunk);
    auto got = common::recv_some(fd_, buffer_.data() + had, kReadChunk);
    buffer_.resize(had + (got ? *got : 0));
    if (!got) return got.error();
    if (*got > 0) continue;
    if (had == 0) return common::Error{common::Errc::closed, "peer closed the link"};
    return protocol_error("truncated frame: EOF after " + std::to_string(had) + " bytes");
  }
}

common::Error protocol_error(std::string why) {
  return common::Error{common::Errc::protocol, std::move(why)};
}

common::Status send_frame(const common::Fd& fd, FrameType type, std::string_view payload) {
  return common::send_all(fd, {frame_header(type, payload.size()), payload});
}

}  // namespace web::replication

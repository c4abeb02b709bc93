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
      if (!opener_) return parsed.frame;
      // The frame starts the buffer: open its body in place.
      auto plain = opener_->open(std::string_view(buffer_).substr(0, kFrameHeaderBytes),
                                 buffer_.data() + kFrameHeaderBytes, parsed.frame.payload.size());
      if (!plain) return plain.error();
      return Frame{parsed.frame.type, *plain};
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

void FrameWriter::append(std::string& out, FrameType type, std::string_view payload) {
  if (!sealer_) return append_frame(out, type, payload);
  if (broken_) return;
  if (auto sealed = sealer_->append(out, type, payload); !sealed) broken_ = sealed.error();
}

common::Status FrameWriter::send(std::string_view frames) {
  if (broken_) return *broken_;
  return common::send_all(fd_, frames);
}

common::Status FrameWriter::send(FrameType type, std::string_view payload) {
  one_.clear();
  append(one_, type, payload);
  return send(one_);
}

common::Error protocol_error(std::string why) {
  return common::Error{common::Errc::protocol, std::move(why)};
}

}  // namespace web::replication

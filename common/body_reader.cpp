#include "common/body_reader.hpp"

#include <algorithm>

namespace common {

void BodyReader::start(const BodyFraming& framing, uint64_t max_body) {
  kind_ = framing.kind;
  remaining_ = framing.length;
  wire_bytes_ = 0;
  done_ = kind_ == BodyKind::none || (kind_ == BodyKind::content_length && remaining_ == 0);
  if (kind_ == BodyKind::chunked) {
    ChunkedLimits limits;
    if (max_body > 0) limits.max_body = max_body;
    decoder_ = ChunkedDecoder(limits);
  }
}

BodyReader::Run BodyReader::next(std::string_view input) {
  Run run;
  if (!done_) {
    switch (kind_) {
      case BodyKind::content_length: {
        const auto take = static_cast<size_t>(std::min<uint64_t>(remaining_, input.size()));
        run.data = input.substr(0, take);
        run.consumed = take;
        remaining_ -= take;
        done_ = remaining_ == 0;
        break;
      }
      case BodyKind::until_close:
        run.data = input;
        run.consumed = input.size();
        break;
      case BodyKind::chunked:
        run = next_chunked(input);
        break;
      case BodyKind::none:
        break;
    }
  }
  run.done = done_;
  wire_bytes_ += run.consumed;
  return run;
}

BodyReader::Run BodyReader::next_chunked(std::string_view input) {
  const auto step = decoder_.feed(input);
  Run run{step.data, step.consumed, step.done, step.error, step.reason};
  // When the last chunk follows this run at once, take it too, so that the end of the body
  // leaves in the same send as its data. Only the exact "CRLF 0 CRLF CRLF" (no trailers) is
  // taken: it holds no body bytes, so run.data stays the one run of data.
  constexpr std::string_view kDataEndAndLastChunk = "\r\n0\r\n\r\n";
  const std::string_view rest = input.substr(step.consumed);
  if (!step.done && step.error == HttpError::none && !step.data.empty() &&
      rest.starts_with(kDataEndAndLastChunk)) {
    const auto end = decoder_.feed(rest.substr(0, kDataEndAndLastChunk.size()));
    run.consumed += end.consumed;
    run.done = end.done;
    run.error = end.error;
    run.reason = end.reason;
  }
  done_ = run.done;
  return run;
}

bool BodyReader::ends_at_eof() {
  if (kind_ == BodyKind::until_close) done_ = true;
  return done_;
}

}  // namespace common

#include "load_balancer/body_stream.hpp"

#include <algorithm>

namespace lb {

void BodyReader::start(const common::BodyFraming& framing, uint64_t max_body) {
  kind_ = framing.kind;
  remaining_ = framing.length;
  wire_bytes_ = 0;
  done_ = kind_ == common::BodyKind::none ||
          (kind_ == common::BodyKind::content_length && remaining_ == 0);
  if (kind_ == common::BodyKind::chunked) {
    common::ChunkedLimits limits;
    if (max_body > 0) limits.max_body = max_body;
    decoder_ = common::ChunkedDecoder(limits);
  }
}

BodyReader::Run BodyReader::next(std::string_view input) {
  Run run;
  if (!done_) {
    switch (kind_) {
      case common::BodyKind::content_length: {
        const auto take = static_cast<size_t>(std::min<uint64_t>(remaining_, input.size()));
        run.data = input.substr(0, take);
        run.consumed = take;
        remaining_ -= take;
        done_ = remaining_ == 0;
        break;
      }
      case common::BodyKind::until_close:
        run.data = input;
        run.consumed = input.size();
        break;
      case common::BodyKind::chunked:
        run = next_chunked(input);
        break;
      case common::BodyKind::none:
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
  if (!step.done && step.error == common::HttpError::none && !step.data.empty() &&
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
  if (kind_ == common::BodyKind::until_close) done_ = true;
  return done_;
}

namespace {

FramedRun frame_run(OutFraming framing, std::string_view data, bool done) {
  FramedRun run;
  run.data = data;
  if (framing != OutFraming::chunked) return run;
  // An empty chunk would end the body early, so an empty run sends no chunk at all.
  if (!data.empty()) {
    run.size_line = common::chunk_header(data.size());
    run.data_end = "\r\n";
  }
  if (done) run.last_chunk = common::kLastChunk;
  return run;
}

PumpEnd ended(PumpEnd::Kind kind, common::Error error) { return {kind, std::move(error), {}, {}}; }

}  // namespace

PumpEnd pump_body(SocketReader& in, common::Millis timeout, BodyReader& body, OutFraming framing,
                  BodySink& sink) {
  for (;;) {
    while (!body.done() && !in.data().empty()) {
      const BodyReader::Run run = body.next(in.data());
      if (run.error != common::HttpError::none) {
        return {PumpEnd::Kind::bad_body, {common::Errc::protocol, {}}, run.error, run.reason};
      }
      // The run's data points into `in`, which consume() does not move: send, then consume.
      common::Status sent = common::Ok{};
      if (!run.data.empty() || run.done) sent = sink.write(frame_run(framing, run.data, run.done));
      in.consume(run.consumed);
      if (!sent) return ended(PumpEnd::Kind::write_failed, sent.error());
      if (run.consumed == 0) break;
    }
    if (auto s = sink.flush(); !s) return ended(PumpEnd::Kind::write_failed, s.error());
    if (body.done()) return {};
    auto n = in.read(timeout);
    if (!n) return ended(PumpEnd::Kind::read_failed, n.error());
    if (*n > 0) continue;
    if (!body.ends_at_eof()) {
      return ended(PumpEnd::Kind::read_failed,
                   {common::Errc::closed, "closed before the end of the body"});
    }
    if (auto s = sink.write(frame_run(framing, {}, true)); !s) {
      return ended(PumpEnd::Kind::write_failed, s.error());
    }
    return {};
  }
}

}  // namespace lb

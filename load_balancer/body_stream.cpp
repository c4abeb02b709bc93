#include "load_balancer/body_stream.hpp"

#include <algorithm>

namespace lb {

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

PumpEnd pump_body(common::Stream& in, const common::BodyDeadline& deadline,
                  common::BodyReader& body, OutFraming framing, BodySink& sink) {
  const common::Clock::time_point started = common::Clock::now();
  uint64_t taken = 0;
  for (;;) {
    while (!body.done() && !in.data().empty()) {
      const common::BodyReader::Run run = body.next(in.data());
      if (run.error != common::HttpError::none) {
        return {PumpEnd::Kind::bad_body, {common::Errc::protocol, {}}, run.error, run.reason};
      }
      // The run's data points into `in`, which consume() does not move: send, then consume.
      common::Status sent = common::Ok{};
      if (!run.data.empty() || run.done) sent = sink.write(frame_run(framing, run.data, run.done));
      in.consume(run.consumed);
      taken += run.data.size();
      if (!sent) return ended(PumpEnd::Kind::write_failed, sent.error());
      if (run.consumed == 0) break;
    }
    if (auto s = sink.flush(); !s) return ended(PumpEnd::Kind::write_failed, s.error());
    if (body.done()) return {};
    auto n = in.read_until(deadline.next_read_until(started, taken));
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

// libFuzzer target: the chunked decoder fed the same bytes whole and in pieces of random sizes.
// Input layout: byte 0 seeds the split sizes, byte 1 picks the limits, the rest is the body.
// However the input is split, the decoded bytes, the outcome and the bytes consumed must agree.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/chunked.hpp"

namespace {

using namespace common;

void check(bool ok) {
  if (!ok) std::abort();
}

struct Outcome {
  std::string body;
  size_t consumed = 0;
  bool done = false;
  HttpError error = HttpError::none;
};

// Feeds `input` in pieces whose sizes come from `seed` (0: one piece).
Outcome decode(std::string_view input, ChunkedLimits limits, uint8_t seed) {
  ChunkedDecoder decoder(limits);
  Outcome out;
  uint32_t state = seed;
  size_t at = 0;
  while (at < input.size() && !out.done && out.error == HttpError::none) {
    state = state * 1103515245u + 12345u;
    const size_t piece_size = seed == 0 ? input.size() : 1 + (state >> 16) % 16;
    const std::string_view piece = input.substr(at, piece_size);
    size_t used = 0;
    while (used < piece.size()) {
      const ChunkedDecoder::Step step = decoder.feed(piece.substr(used));
      check(step.consumed <= piece.size() - used);
      check(step.data.size() <= step.consumed);
      used += step.consumed;
      out.body += step.data;
      out.done = step.done;
      out.error = step.error;
      if (step.done || step.error != HttpError::none) break;
      check(step.consumed > 0);
    }
    at += used;
    out.consumed = at;
    if (used < piece.size()) break;
  }
  check(decoder.body_bytes() == out.body.size());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);
  ChunkedLimits limits;
  if (data[1] & 1) limits.max_line = 8 + data[1] % 32;
  if (data[1] & 2) limits.max_trailer_bytes = 8 + data[1] % 64;
  if (data[1] & 4) limits.max_body = data[1] * 4u;
  const Outcome whole = decode(input, limits, 0);
  const Outcome split = decode(input, limits, static_cast<uint8_t>(data[0] | 1));
  check(whole.body == split.body && whole.done == split.done && whole.error == split.error);
  if (whole.done) check(whole.consumed == split.consumed);
  check(whole.body.size() <= limits.max_body);
  return 0;
}

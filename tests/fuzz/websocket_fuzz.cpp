// libFuzzer target: the WebSocket codec and the UTF-8 validator on arbitrary bytes.
// Input layout: byte 0 seeds the split sizes and picks the frame rules, the rest is the input.
// A frame parse stays inside its buffer and needs every byte it counts; a close payload's answer
// is one well-formed close frame; UTF-8 fed in pieces is judged as it is whole, and a piece
// refused means the whole is invalid.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/utf8.hpp"
#include "common/websocket.hpp"

namespace {

using namespace common;

void check(bool ok) {
  if (!ok) std::abort();
}

void check_frame(std::string_view input, const ws::FrameRules& rules) {
  const ws::FrameParse frame = ws::parse_frame(input, rules);
  if (frame.state == ParseState::error) {
    check(frame.close_code != 0 && !frame.reason.empty());
    return;
  }
  if (frame.state == ParseState::incomplete) return;
  check(frame.size <= input.size());
  check(frame.size == frame.header.size + frame.payload.size());
  check(ws::parse_frame(input.substr(0, frame.size - 1), rules).state == ParseState::incomplete);
}

void check_close_answer(std::string_view payload) {
  std::string out;
  const bool agreed = ws::append_close_answer(out, payload);
  const ws::FrameParse frame = ws::parse_frame(out, ws::FrameRules{false, UINT64_MAX});
  check(frame.state == ParseState::complete && frame.size == out.size());
  check(frame.header.opcode == ws::Opcode::close);
  check(agreed == ws::parse_close_payload(payload).valid);
}

void check_utf8(std::string_view text, uint8_t seed) {
  Utf8Validator validator;
  uint32_t state = seed;
  bool refused = false;
  for (size_t at = 0; at < text.size();) {
    state = state * 1103515245u + 12345u;
    const size_t piece = 1 + (state >> 16) % 8;
    refused = refused || !validator.feed(text.substr(at, piece));
    at += piece;
  }
  check(validator.complete() == valid_utf8(text));
  if (refused) check(!valid_utf8(text));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const ws::FrameRules rules{(data[0] & 1) != 0, (data[0] & 2) ? 125u : UINT64_MAX};
  check_frame(input, rules);
  check_close_answer(input.substr(0, ws::kMaxControlPayload));
  check_utf8(input, data[0]);
  // What append_frame writes parses back to the same payload.
  const std::array<uint8_t, 4> mask{data[0], 0x5a, 0xa5, 0x0f};
  std::string wire;
  ws::append_frame(wire, ws::Opcode::binary, input, &mask);
  const ws::FrameParse frame = ws::parse_frame(wire, ws::FrameRules{true, UINT64_MAX});
  check(frame.state == ParseState::complete && frame.size == wire.size());
  std::string payload(frame.payload);
  ws::apply_mask(payload.data(), payload.size(), frame.header.mask, 0);
  check(payload == input);
  return 0;
}

// libFuzzer target: the replication frame codec and the payload decoders. Besides memory
// safety it checks their contracts: a complete frame is self-delimiting and its payload points
// into the buffer, an error never turns into success when more bytes arrive, and a payload that
// decodes encodes back to the very same bytes (so decoders accept nothing they could not send).
// On a sealed link: any payload seals and opens back to itself, and bytes that were not sealed
// with the link's key never open (a forgery would need the key).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "web_server/replication/frame.hpp"
#include "web_server/replication/link_cipher.hpp"
#include "web_server/replication/message.hpp"

namespace {

using namespace web::replication;
using common::ParseState;

void check(bool ok) {
  if (!ok) std::abort();
}

// Small maximum so that the limit path is reached by short inputs.
constexpr size_t kMaxPayload = 256;

void fuzz_frame(std::string_view input) {
  const FrameParse r = parse_frame(input, kMaxPayload);
  check((r.state == ParseState::error) == !r.reason.empty());
  if (parse_frame(input.substr(0, input.size() / 2), kMaxPayload).state == ParseState::error) {
    check(r.state == ParseState::error);
  }
  if (r.state != ParseState::complete) return;
  check(r.consumed == kFrameHeaderBytes + r.frame.payload.size() && r.consumed <= input.size());
  check(r.frame.payload.data() == input.data() + kFrameHeaderBytes);
  check(parse_frame(input.substr(0, r.consumed - 1), kMaxPayload).state == ParseState::incomplete);
  std::string again;
  append_frame(again, r.frame.type, r.frame.payload);
  check(again == input.substr(0, r.consumed));
}

void fuzz_payloads(std::string_view payload) {
  if (const auto change = decode_change(payload)) check(encode(*change) == payload);
  if (const auto hello = decode_hello(payload)) check(encode(*hello) == payload);
  if (const auto challenge = decode_challenge(payload)) check(encode(*challenge) == payload);
  if (const auto proof = decode_proof(payload)) check(encode(*proof) == payload);
  if (const auto summary = decode_summary(payload)) {
    check(decode_summary(encode(*summary)) == summary);
  }
  if (const auto progress = decode_progress(payload)) {
    check(decode_progress(encode(*progress)) == progress);
  }
  if (const auto skip = decode_skip(payload)) check(encode(*skip) == payload);
}

const LinkKeys& fuzz_keys() {
  static const LinkKeys keys = [] {
    Nonce dialer{}, acceptor{};
    acceptor.fill(1);
    auto derived = derive_link_keys("fuzz", dialer, acceptor, 1, 2);
    check(derived.ok());
    return *derived;
  }();
  return keys;
}

void fuzz_sealed(std::string_view input) {
  auto sealer = FrameSealer::create(fuzz_keys().dialer_to_acceptor);
  auto opener = FrameOpener::create(fuzz_keys().dialer_to_acceptor);
  check(sealer.ok() && opener.ok());
  // Unsealed bytes, taken as one frame body under any known type, must not open.
  std::string forged(input);
  check(
      !opener->open(frame_header(FrameType::change, forged.size()), forged.data(), forged.size()));
  auto fresh = FrameOpener::create(fuzz_keys().dialer_to_acceptor);
  std::string frame;
  check(sealer->append(frame, FrameType::change, input).ok());
  auto plain = fresh->open(std::string_view(frame).substr(0, kFrameHeaderBytes),
                           frame.data() + kFrameHeaderBytes, frame.size() - kFrameHeaderBytes);
  check(plain.ok() && *plain == input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  fuzz_frame(input);
  fuzz_payloads(input);
  fuzz_sealed(input);
  return 0;
}

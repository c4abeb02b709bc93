#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "web_server/replication/link_cipher.hpp"

namespace web::replication {
namespace {

constexpr store::OriginId kDialer = 0x1111;
constexpr store::OriginId kAcceptor = 0x2222;

Nonce nonce_of(uint8_t fill) {
  Nonce nonce{};
  nonce.fill(fill);
  return nonce;
}

LinkKeys keys(std::string_view secret = "secret", uint8_t dialer_fill = 1,
              uint8_t acceptor_fill = 2) {
  auto derived =
      derive_link_keys(secret, nonce_of(dialer_fill), nonce_of(acceptor_fill), kDialer, kAcceptor);
  if (!derived) throw std::runtime_error(derived.error().message);
  return *derived;
}

FrameSealer sealer(const DirectionKey& key) {
  auto created = FrameSealer::create(key);
  if (!created) throw std::runtime_error(created.error().message);
  return std::move(*created);
}
FrameOpener opener(const DirectionKey& key) {
  auto created = FrameOpener::create(key);
  if (!created) throw std::runtime_error(created.error().message);
  return std::move(*created);
}

std::string sealed(FrameSealer& by, FrameType type, std::string_view payload) {
  std::string out;
  EXPECT_TRUE(by.append(out, type, payload));
  return out;
}

// The plaintext, when `frame` parses as exactly one frame and opens; nullopt otherwise.
std::optional<std::string> open(FrameOpener& by, std::string frame) {
  const FrameParse parsed = parse_frame(frame);
  if (parsed.state != common::ParseState::complete || parsed.consumed != frame.size()) {
    return std::nullopt;
  }
  auto plain = by.open(std::string_view(frame).substr(0, kFrameHeaderBytes),
                       frame.data() + kFrameHeaderBytes, parsed.frame.payload.size());
  if (!plain) return std::nullopt;
  return std::string(*plain);
}

TEST(LinkCipherTest, SealedFramesOpenInOrder) {
  const LinkKeys k = keys();
  FrameSealer seal = sealer(k.dialer_to_acceptor);
  FrameOpener unseal = opener(k.dialer_to_acceptor);
  for (const size_t size :
       {size_t{0}, size_t{1}, size_t{100}, size_t{64 * 1024}, kMaxSealedPayload}) {
    const std::string payload(size, 'p');
    const std::string frame = sealed(seal, FrameType::change, payload);
    ASSERT_EQ(frame.size(), kFrameHeaderBytes + size + kTagBytes);
    if (size >= 16) {
      EXPECT_EQ(frame.find(std::string(16, 'p')), std::string::npos) << "sent in clear";
    }
    EXPECT_EQ(open(unseal, frame), payload) << size;
  }
}

TEST(LinkCipherTest, OversizedPayloadIsNotSealed) {
  FrameSealer seal = sealer(keys().dialer_to_acceptor);
  std::string out;
  EXPECT_FALSE(seal.append(out, FrameType::change, std::string(kMaxSealedPayload + 1, 'x')));
  EXPECT_TRUE(out.empty());
}

TEST(LinkCipherTest, EverySingleByteFlipFailsToOpen) {
  const LinkKeys k = keys();
  FrameSealer seal = sealer(k.dialer_to_acceptor);
  const std::string frame = sealed(seal, FrameType::change, "a change of forty bytes, or so....");
  for (size_t at = 0; at < frame.size(); ++at) {
    for (const int mask : {0x01, 0x80, 0xff}) {
      std::string flipped = frame;
      flipped[at] = static_cast<char>(flipped[at] ^ mask);
      FrameOpener unseal = opener(k.dialer_to_acceptor);
      EXPECT_FALSE(open(unseal, flipped)) << "byte " << at << " mask " << mask;
    }
  }
}

// What a man in the middle delivers, built from three frames sealed in order (0, 1, 2), one
// frame sealed with another key ("forged") and the frames' own bytes.
struct StreamCase {
  const char* name;
  std::vector<int> delivered;  // indexes into {0, 1, 2, forged}
  int first_failure;           // position in `delivered`; -1: all open
};
void PrintTo(const StreamCase& c, std::ostream* os) { *os << c.name; }

constexpr int kForged = 3;

class LinkCipherStreamTest : public testing::TestWithParam<StreamCase> {};

TEST_P(LinkCipherStreamTest, OpensOnlyTheFramesInTheirOrder) {
  const LinkKeys k = keys();
  FrameSealer seal = sealer(k.dialer_to_acceptor);
  std::vector<std::string> frames;
  for (const char* payload : {"zero", "one!", "two."}) {
    frames.push_back(sealed(seal, FrameType::change, payload));
  }
  FrameSealer other = sealer(k.acceptor_to_dialer);
  frames.push_back(sealed(other, FrameType::change, "zero"));
  FrameOpener unseal = opener(k.dialer_to_acceptor);
  int failed_at = -1;
  for (size_t i = 0; i < GetParam().delivered.size() && failed_at < 0; ++i) {
    if (!open(unseal, frames[static_cast<size_t>(GetParam().delivered[i])])) {
      failed_at = static_cast<int>(i);
    }
  }
  EXPECT_EQ(failed_at, GetParam().first_failure);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, LinkCipherStreamTest,
    testing::Values(StreamCase{"in_order", {0, 1, 2}, -1}, StreamCase{"replayed", {0, 1, 1}, 2},
                    StreamCase{"replayed_first", {0, 0}, 1}, StreamCase{"dropped", {0, 2}, 1},
                    StreamCase{"swapped", {1, 0}, 0}, StreamCase{"injected", {0, kForged, 1}, 1},
                    StreamCase{"other_direction_key", {kForged}, 0},
                    StreamCase{"good_frame_after_a_bad_one", {kForged, 0}, 0}),
    [](const auto& test_case) { return std::string(test_case.param.name); });

TEST(LinkCipherTest, AfterAFailureNothingOpens) {
  const LinkKeys k = keys();
  FrameSealer seal = sealer(k.dialer_to_acceptor);
  const std::string first = sealed(seal, FrameType::change, "first");
  std::string bad = first;
  bad.back() = static_cast<char>(bad.back() ^ 1);
  FrameOpener unseal = opener(k.dialer_to_acceptor);
  EXPECT_FALSE(open(unseal, bad));
  EXPECT_FALSE(open(unseal, first));
}

TEST(LinkCipherTest, WrongSecretDoesNotOpen) {
  FrameSealer seal = sealer(keys("secret").dialer_to_acceptor);
  FrameOpener unseal = opener(keys("secreT").dialer_to_acceptor);
  EXPECT_FALSE(open(unseal, sealed(seal, FrameType::progress, "")));
}

TEST(LinkCipherTest, BodyShorterThanATagIsRefusedWithAReason) {
  FrameOpener unseal = opener(keys().dialer_to_acceptor);
  std::string frame = frame_header(FrameType::progress, 3) + "abc";
  const auto opened = unseal.open(std::string_view(frame).substr(0, kFrameHeaderBytes),
                                  frame.data() + kFrameHeaderBytes, 3);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, common::Errc::protocol);
  EXPECT_EQ(opened.error().message, "frame 0 (PROGRESS) fails authentication: shorter than its tag");
}

bool same(const DirectionKey& a, const DirectionKey& b) { return a.key == b.key && a.iv == b.iv; }

TEST(LinkKeysTest, DependOnEveryInput) {
  const LinkKeys base = keys("secret", 1, 2);
  EXPECT_TRUE(same(base.dialer_to_acceptor, keys("secret", 1, 2).dialer_to_acceptor));
  EXPECT_FALSE(same(base.dialer_to_acceptor, base.acceptor_to_dialer));
  EXPECT_FALSE(same(base.dialer_to_acceptor, keys("secreT", 1, 2).dialer_to_acceptor));
  EXPECT_FALSE(same(base.dialer_to_acceptor, keys("secret", 3, 2).dialer_to_acceptor));
  EXPECT_FALSE(same(base.dialer_to_acceptor, keys("secret", 1, 3).dialer_to_acceptor));
  EXPECT_FALSE(same(base.dialer_to_acceptor, keys("secret", 2, 1).dialer_to_acceptor));
  const auto swapped = derive_link_keys("secret", nonce_of(1), nonce_of(2), kAcceptor, kDialer);
  ASSERT_TRUE(swapped);
  EXPECT_FALSE(same(base.dialer_to_acceptor, swapped->dialer_to_acceptor));
}

TEST(LinkKeysTest, FreshNoncesGiveFreshKeys) {
  const auto one = derive_link_keys("secret", *random_nonce(), *random_nonce(), kDialer, kAcceptor);
  const auto two = derive_link_keys("secret", *random_nonce(), *random_nonce(), kDialer, kAcceptor);
  ASSERT_TRUE(one && two);
  EXPECT_FALSE(same(one->dialer_to_acceptor, two->dialer_to_acceptor));
  EXPECT_FALSE(same(one->acceptor_to_dialer, two->acceptor_to_dialer));
}

}  // namespace
}  // namespace web::replication

#include <gtest/gtest.h>

#include <future>
#include <string>

#include "tests/unit/net_test_support.hpp"
#include "tests/unit/param_name.hpp"
#include "web_server/replication/auth.hpp"
#include "web_server/replication/handshake.hpp"
#include "web_server/replication/message.hpp"

namespace web::replication {
namespace {

constexpr store::OriginId kDialer = 0x1111;
constexpr store::OriginId kAcceptor = 0x2222;

TEST(AuthTest, ProofDependsOnEveryInput) {
  Nonce a{}, b{};
  a[0] = 1;
  b[0] = 2;
  const Mac proof = prove("secret", Role::dialer, a, b, kDialer);
  EXPECT_TRUE(proof_valid(proof, "secret", Role::dialer, a, b, kDialer));
  EXPECT_FALSE(proof_valid(proof, "secreT", Role::dialer, a, b, kDialer));
  EXPECT_FALSE(proof_valid(proof, "secret", Role::acceptor, a, b, kDialer));  // reflected
  EXPECT_FALSE(proof_valid(proof, "secret", Role::dialer, b, a, kDialer));
  EXPECT_FALSE(proof_valid(proof, "secret", Role::dialer, a, a, kDialer));  // replayed nonce
  EXPECT_FALSE(proof_valid(proof, "secret", Role::dialer, a, b, kAcceptor));
}

TEST(AuthTest, NoncesAreFresh) { EXPECT_NE(*random_nonce(), *random_nonce()); }

struct Outcome {
  common::Result<store::OriginId> dialer = common::Error{common::Errc::closed, "not run"};
  common::Result<store::OriginId> acceptor = common::Error{common::Errc::closed, "not run"};
};

// Runs both ends of a handshake on a loopback connection; the dialer closes its end when done.
Outcome handshake(std::string_view dialer_secret, std::string_view acceptor_secret,
                  store::OriginId dialer_id = kDialer) {
  net_test::TcpPair pair = net_test::tcp_pair();
  auto accepting = std::async(std::launch::async, [&] {
    FrameReader reader(pair.server);
    FrameWriter writer(pair.server);
    auto result = handshake_as_acceptor(writer, reader, acceptor_secret, kAcceptor);
    if (!result) pair.server.reset();  // as a server does: the dialer then sees the link end
    return result;
  });
  Outcome outcome;
  {
    FrameReader reader(pair.client);
    FrameWriter writer(pair.client);
    outcome.dialer = handshake_as_dialer(writer, reader, dialer_secret, dialer_id);
    if (!outcome.dialer) pair.client.reset();
  }
  outcome.acceptor = accepting.get();
  return outcome;
}

TEST(HandshakeTest, SameSecretAuthenticatesBothSides) {
  const Outcome outcome = handshake("s3cret", "s3cret");
  ASSERT_TRUE(outcome.dialer) << outcome.dialer.error().message;
  ASSERT_TRUE(outcome.acceptor) << outcome.acceptor.error().message;
  EXPECT_EQ(*outcome.dialer, kAcceptor);
  EXPECT_EQ(*outcome.acceptor, kDialer);
}

TEST(HandshakeTest, WrongSecretFailsOnBothSides) {
  const Outcome outcome = handshake("one secret", "another secret");
  ASSERT_FALSE(outcome.dialer);
  EXPECT_NE(outcome.dialer.error().message.find("wrong secret"), std::string::npos);
  EXPECT_FALSE(outcome.acceptor);
}

TEST(HandshakeTest, LinkToItselfIsRefused) {
  const Outcome outcome = handshake("s", "s", kAcceptor);
  ASSERT_FALSE(outcome.dialer);
  EXPECT_FALSE(outcome.acceptor);
}

// After the handshake each side seals with its direction's key and the other opens with it;
// a frame in clear is refused.
TEST(HandshakeTest, BothDirectionsAreSealedAfterwards) {
  net_test::TcpPair pair = net_test::tcp_pair();
  auto accepting = std::async(std::launch::async, [&]() -> common::Status {
    FrameReader reader(pair.server);
    FrameWriter writer(pair.server);
    auto origin = handshake_as_acceptor(writer, reader, "s", kAcceptor);
    if (!origin) return origin.error();
    auto change = expect_frame(reader, FrameType::change);
    if (!change) return change.error();
    if (change->payload != "to the acceptor") return common::Error{common::Errc::protocol, "?"};
    if (auto sent = writer.send(FrameType::ack, "to the dialer"); !sent) return sent;
    auto clear = expect_frame(reader, FrameType::progress);  // sent in clear
    if (clear) return common::Ok{};
    return clear.error();
  });
  FrameReader reader(pair.client);
  FrameWriter writer(pair.client);
  ASSERT_TRUE(handshake_as_dialer(writer, reader, "s", kDialer));
  ASSERT_TRUE(writer.send(FrameType::change, "to the acceptor"));
  auto ack = expect_frame(reader, FrameType::ack);
  ASSERT_TRUE(ack) << ack.error().message;
  EXPECT_EQ(ack->payload, "to the dialer");
  ASSERT_TRUE(FrameWriter(pair.client).send(FrameType::progress, ""));
  const common::Status refused = accepting.get();
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("frame 1 (PROGRESS) fails authentication"),
            std::string::npos)
      << refused.error().message;
}

// A dialer that does not check the acceptor and proves with the wrong secret.
TEST(HandshakeTest, AcceptorRefusesADialerWithTheWrongSecret) {
  net_test::TcpPair pair = net_test::tcp_pair();
  auto accepting = std::async(std::launch::async, [&] {
    FrameReader reader(pair.server);
    FrameWriter writer(pair.server);
    return handshake_as_acceptor(writer, reader, "right", kAcceptor);
  });
  FrameReader reader(pair.client);
  const Nonce nonce = *random_nonce();
  ASSERT_TRUE(FrameWriter(pair.client).send(FrameType::hello, encode(Hello{kDialer, nonce})));
  auto frame = expect_frame(reader, FrameType::challenge);
  ASSERT_TRUE(frame);
  const auto challenge = decode_challenge(frame->payload);
  ASSERT_TRUE(challenge);
  const Mac proof = prove("wrong", Role::dialer, nonce, challenge->nonce, kDialer);
  ASSERT_TRUE(FrameWriter(pair.client).send(FrameType::proof, encode(proof)));
  const auto result = accepting.get();
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("wrong secret"), std::string::npos);
}

// Bytes a genuine dialer sent on one connection do not open another: its nonce is new.
TEST(HandshakeTest, ReplayedHandshakeIsRefused) {
  // A genuine session, recorded: HELLO and PROOF as the dialer sent them.
  net_test::TcpPair first = net_test::tcp_pair();
  auto accepting = std::async(std::launch::async, [&] {
    FrameReader reader(first.server);
    FrameWriter writer(first.server);
    return handshake_as_acceptor(writer, reader, "s", kAcceptor);
  });
  FrameReader first_reader(first.client);
  const Nonce nonce = *random_nonce();
  const std::string hello = encode(Hello{kDialer, nonce});
  ASSERT_TRUE(FrameWriter(first.client).send(FrameType::hello, hello));
  auto frame = expect_frame(first_reader, FrameType::challenge);
  ASSERT_TRUE(frame);
  const Mac proof =
      prove("s", Role::dialer, nonce, decode_challenge(frame->payload)->nonce, kDialer);
  ASSERT_TRUE(FrameWriter(first.client).send(FrameType::proof, encode(proof)));
  ASSERT_TRUE(accepting.get());
  // The same HELLO and PROOF on a new connection.
  net_test::TcpPair second = net_test::tcp_pair();
  auto replayed = std::async(std::launch::async, [&] {
    FrameReader reader(second.server);
    FrameWriter writer(second.server);
    return handshake_as_acceptor(writer, reader, "s", kAcceptor);
  });
  ASSERT_TRUE(FrameWriter(second.client).send(FrameType::hello, hello));
  FrameReader second_reader(second.client);
  ASSERT_TRUE(expect_frame(second_reader, FrameType::challenge));
  ASSERT_TRUE(FrameWriter(second.client).send(FrameType::proof, encode(proof)));
  const auto result = replayed.get();
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("wrong secret"), std::string::npos);
}

struct HostileCase {
  const char* name;
  std::string bytes;
  const char* reason;  // part of the acceptor's error
};
void PrintTo(const HostileCase& c, std::ostream* os) { *os << c.name; }

class HostileOpeningTest : public testing::TestWithParam<HostileCase> {};

TEST_P(HostileOpeningTest, AcceptorDropsTheLinkAndSaysWhy) {
  net_test::TcpPair pair = net_test::tcp_pair();
  ASSERT_TRUE(common::send_all(pair.client, GetParam().bytes));
  pair.client.reset();
  FrameReader reader(pair.server);
  FrameWriter writer(pair.server);
  const auto result = handshake_as_acceptor(writer, reader, "s", kAcceptor);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find(GetParam().reason), std::string::npos)
      << result.error().message;
}

std::string framed(FrameType type, std::string_view payload) {
  std::string out;
  append_frame(out, type, payload);
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HostileOpeningTest,
    testing::Values(
        HostileCase{"truncated hello", framed(FrameType::hello, std::string(40, 'h')).substr(0, 20),
                    "truncated frame"},
        HostileCase{"hello too short", framed(FrameType::hello, "short"), "malformed HELLO"},
        HostileCase{"change before auth",
                    framed(FrameType::change, encode(store::Change{1, 1, {1, 1}, "k", "v"})),
                    "expected HELLO, got CHANGE"},
        HostileCase{"unknown type", std::string("\0\0\0\0\x63", 5), "unknown frame type"},
        HostileCase{"oversized length", std::string("\x7f\xff\xff\xff\x01", 5), "over the maximum"},
        HostileCase{"garbage", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "over the maximum"},
        HostileCase{"nothing at all", "", "peer closed"}),
    [](const testing::TestParamInfo<HostileCase>& param_info) {
      return test_support::param_name(param_info.param.name);
    });

}  // namespace
}  // namespace web::replication

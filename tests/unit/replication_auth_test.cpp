#include <gtest/gtest.h>

#include <future>
#include <string>

#include "tests/unit/net_test_support.hpp"
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
    auto result = handshake_as_acceptor(pair.server, reader, acceptor_secret, kAcceptor);
    if (!result) pair.server.reset();  // as a server does: the dialer then sees the link end
    return result;
  });
  Outcome outcome;
  {
    FrameReader reader(pair.client);
    outcome.dialer = handshake_as_dialer(pair.client, reader, dialer_secret, dialer_id);
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

// A dialer that does not check the acceptor and proves with the wrong secret.
TEST(HandshakeTest, AcceptorRefusesADialerWithTheWrongSecret) {
  net_test::TcpPair pair = net_test::tcp_pair();
  auto accepting = std::async(std::launch::async, [&] {
    FrameReader reader(pair.server);
    return handshake_as_acceptor(pair.server, reader, "right", kAcceptor);
  });
  FrameReader reader(pair.client);
  const Nonce nonce = *random_nonce();
  ASSERT_TRUE(send_frame(pair.client, FrameType::hello, encode(Hello{kDialer, nonce})));
  auto frame = expect_frame(reader, FrameType::challenge);
  ASSERT_TRUE(frame);
  const auto challenge = decode_challenge(frame->payload);
  ASSERT_TRUE(challenge);
  const Mac proof = prove("wrong", Role::dialer, nonce, challenge->nonce, kDialer);
  ASSERT_TRUE(send_frame(pair.client, FrameType::proof, encode(proof)));
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
    return handshake_as_acceptor(first.server, reader, "s", kAcceptor);
  });
  FrameReader first_reader(first.client);
  const Nonce nonce = *random_nonce();
  const std::string hello = encode(Hello{kDialer, nonce});
  ASSERT_TRUE(send_frame(first.client, FrameType::hello, hello));
  auto frame = expect_frame(first_reader, FrameType::challenge);
  ASSERT_TRUE(frame);
  const Mac proof =
      prove("s", Role::dialer, nonce, decode_challenge(frame->payload)->nonce, kDialer);
  ASSERT_TRUE(send_frame(first.client, FrameType::proof, encode(proof)));
  ASSERT_TRUE(accepting.get());
  // The same HELLO and PROOF on a new connection.
  net_test::TcpPair second = net_test::tcp_pair();
  auto replayed = std::async(std::launch::async, [&] {
    FrameReader reader(second.server);
    return handshake_as_acceptor(second.server, reader, "s", kAcceptor);
  });
  ASSERT_TRUE(send_frame(second.client, FrameType::hello, hello));
  FrameReader second_reader(second.client);
  ASSERT_TRUE(expect_frame(second_reader, FrameType::challenge));
  ASSERT_TRUE(send_frame(second.client, FrameType::proof, encode(proof)));
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
  const auto result = handshake_as_acceptor(pair.server, reader, "s", kAcceptor);
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
        HostileCase{"nothing at all", "", "peer closed"}));

}  // namespace
}  // namespace web::replication

#include "common/relay.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <future>
#include <thread>

#include "tests/unit/net_test_support.hpp"

namespace {

using namespace std::chrono_literals;
using common::Errc;

// client_a <-> [a  relay  b] <-> client_b: the relay runs on its own thread between the accepted
// ends of two loopback connections, as the balancer's TCP mode does.
class RelayTest : public testing::Test {
 protected:
  void start(common::RelayOptions options = {}) {
    result_ = std::async(std::launch::async,
                         [this, options] { return common::relay(a_.server, b_.server, options); });
  }
  // The relay's outcome; fails the test instead of hanging if the relay never ends.
  common::RelayResult finish() {
    if (result_.wait_for(10s) != std::future_status::ready) {
      // Unblock the relay so the test can end, then report.
      shutdown(a_.server.get(), SHUT_RDWR);
      shutdown(b_.server.get(), SHUT_RDWR);
      ADD_FAILURE() << "relay did not end";
    }
    return result_.get();
  }

  net_test::TcpPair a_ = net_test::tcp_pair();
  net_test::TcpPair b_ = net_test::tcp_pair();
  std::future<common::RelayResult> result_;
};

TEST_F(RelayTest, CarriesBytesBothWaysAndEndsWhenBothSidesClose) {
  start();
  ASSERT_TRUE(common::send_all(a_.client, "hello").ok());
  EXPECT_EQ(net_test::read_exactly(b_.client, 5), "hello");
  ASSERT_TRUE(common::send_all(b_.client, "world!").ok());
  EXPECT_EQ(net_test::read_exactly(a_.client, 6), "world!");
  a_.client.reset();
  b_.client.reset();
  const common::RelayResult result = finish();
  EXPECT_TRUE(result.end.ok()) << result.end.error().message;
  EXPECT_EQ(result.a_to_b, 5u);
  EXPECT_EQ(result.b_to_a, 6u);
}

TEST_F(RelayTest, LosesNoBytesInABulkTransferBothWaysAtOnce) {
  // Both directions at once, each far larger than the relay's buffer and the socket buffers: a
  // relay that blocked on one direction, or dropped a partial send, would hang or corrupt.
  start();
  const std::string forward = net_test::pattern(8 << 20, 'a');
  const std::string backward = net_test::pattern(6 << 20, 'q');
  auto send_then_close = [](const common::Fd& fd, const std::string& data) {
    const common::Status s = common::send_all(fd, data);
    shutdown(fd.get(), SHUT_WR);
    return s.ok();
  };
  auto sent_forward =
      std::async(std::launch::async, send_then_close, std::cref(a_.client), std::cref(forward));
  auto sent_backward =
      std::async(std::launch::async, send_then_close, std::cref(b_.client), std::cref(backward));
  auto got_forward = std::async(std::launch::async, net_test::read_to_eof, std::cref(b_.client));
  const std::string got_backward = net_test::read_to_eof(a_.client);
  EXPECT_TRUE(sent_forward.get());
  EXPECT_TRUE(sent_backward.get());
  EXPECT_TRUE(got_forward.get() == forward);
  EXPECT_TRUE(got_backward == backward);
  const common::RelayResult result = finish();
  EXPECT_TRUE(result.end.ok()) << result.end.error().message;
  EXPECT_EQ(result.a_to_b, forward.size());
  EXPECT_EQ(result.b_to_a, backward.size());
}

TEST_F(RelayTest, PassesAHalfCloseOnAndKeepsTheOtherDirectionOpen) {
  start();
  // a sends a request and shuts its write side, as "send request, read reply until EOF" does.
  ASSERT_TRUE(common::send_all(a_.client, "request").ok());
  shutdown(a_.client.get(), SHUT_WR);
  EXPECT_EQ(net_test::read_to_eof(b_.client), "request");  // EOF reached b
  ASSERT_TRUE(common::send_all(b_.client, "reply").ok());  // b can still answer
  b_.client.reset();
  EXPECT_EQ(net_test::read_to_eof(a_.client), "reply");
  const common::RelayResult result = finish();
  EXPECT_TRUE(result.end.ok()) << result.end.error().message;
  EXPECT_EQ(result.a_to_b, 7u);
  EXPECT_EQ(result.b_to_a, 5u);
}

TEST_F(RelayTest, EndsWithResetWhenOneSideResets) {
  start();
  ASSERT_TRUE(common::send_all(a_.client, "x").ok());
  EXPECT_EQ(net_test::read_exactly(b_.client, 1), "x");
  const std::string b_address = net_test::address_of(b_.client).to_string();
  const linger abort_on_close{1, 0};
  setsockopt(b_.client.get(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  b_.client.reset();  // RST, not FIN
  const common::RelayResult result = finish();
  ASSERT_FALSE(result.end.ok());
  EXPECT_EQ(result.end.error().code, Errc::reset) << result.end.error().message;
  // The message names the peer that went away.
  EXPECT_NE(result.end.error().message.find(b_address), std::string::npos)
      << result.end.error().message;
  EXPECT_EQ(result.a_to_b, 1u);
}

TEST_F(RelayTest, EndsWithResetWhenAHalfClosedSideResets) {
  // a's direction is finished (EOF passed on), so nobody reads from a any more; its reset must
  // still end the relay rather than leave it waiting on b forever. The names given are the ones
  // its error uses.
  start({.a_name = "client 192.0.2.1:4000", .b_name = "s1"});
  shutdown(a_.client.get(), SHUT_WR);
  EXPECT_EQ(net_test::read_to_eof(b_.client), "");
  const linger abort_on_close{1, 0};
  setsockopt(a_.client.get(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  a_.client.reset();
  const common::RelayResult result = finish();
  ASSERT_FALSE(result.end.ok());
  EXPECT_EQ(result.end.error().code, Errc::reset) << result.end.error().message;
  EXPECT_NE(result.end.error().message.find("client 192.0.2.1:4000"), std::string::npos)
      << result.end.error().message;
}

TEST_F(RelayTest, EndsAfterTheIdleTimeout) {
  start({.idle_timeout = 100ms});
  const common::RelayResult result = finish();
  ASSERT_FALSE(result.end.ok());
  EXPECT_EQ(result.end.error().code, Errc::timed_out);
  EXPECT_EQ(result.end.error().message, "relay idle for 100ms");
  // The relay closes nothing itself: both peers are still connected.
  ASSERT_TRUE(common::send_all(a_.client, "still open").ok());
  EXPECT_EQ(net_test::read_exactly(a_.server, 10), "still open");
}

}  // namespace

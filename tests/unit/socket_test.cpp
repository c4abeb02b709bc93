#include "common/socket.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <atomic>
#include <thread>

#include "tests/unit/net_test_support.hpp"

namespace {

using namespace std::chrono_literals;
using common::Errc;
using net_test::tcp_pair;

TEST(SocketTest, ListenOnPortZeroPicksAPort) {
  const common::Fd fd = net_test::listener();
  const common::Address address = net_test::address_of(fd);
  EXPECT_EQ(address.host(), "127.0.0.1");
  EXPECT_NE(address.port(), 0);
}

TEST(SocketTest, BindingABusyPortNamesTheAddress) {
  const common::Fd first = net_test::listener();
  const common::Address address = net_test::address_of(first);
  auto second = common::listen_tcp(address);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message, "bind " + address.to_string() + ": Address already in use");
}

TEST(SocketTest, ReusePortLetsTwoListenersShareAPort) {
  auto first = common::listen_tcp(net_test::loopback(), {.reuse_port = true});
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = common::listen_tcp(net_test::address_of(*first), {.reuse_port = true});
  EXPECT_TRUE(second.ok()) << second.error().message;
}

TEST(SocketTest, ConnectAndAcceptSeeEachOther) {
  const common::Fd listener = net_test::listener();
  auto client = common::connect_tcp(net_test::address_of(listener), 5s);
  ASSERT_TRUE(client.ok()) << client.error().message;
  const common::Accepted accepted = common::accept_connection(listener);
  ASSERT_EQ(accepted.outcome, common::AcceptOutcome::accepted);
  EXPECT_EQ(accepted.peer.to_string(), net_test::address_of(*client).to_string());
}

TEST(SocketTest, ConnectToAClosedPortIsRefusedAndNamesTheAddress) {
  common::Address address;
  {
    const common::Fd closed_soon = net_test::listener();
    address = net_test::address_of(closed_soon);
  }
  auto fd = common::connect_tcp(address, 5s);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.error().code, Errc::refused);
  EXPECT_EQ(fd.error().message, "connect " + address.to_string() + ": Connection refused");
}

TEST(SocketTest, ConnectTimesOutWhenTheBacklogIsFull) {
  // With backlog 0 the kernel queues one connection and drops further SYNs, so a connect to a
  // listener nobody accepts from stays unanswered.
  auto listener = common::listen_tcp(net_test::loopback(), {.backlog = 0});
  ASSERT_TRUE(listener.ok()) << listener.error().message;
  const common::Address address = net_test::address_of(*listener);
  std::vector<common::Fd> queued;
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto fd = common::connect_tcp(address, 200ms);
    if (fd.ok()) {
      queued.push_back(std::move(*fd));
      continue;
    }
    EXPECT_EQ(fd.error().code, Errc::timed_out);
    EXPECT_EQ(fd.error().message, "connect " + address.to_string() + ": timed out after 200ms");
    return;
  }
  FAIL() << "every connect succeeded; none timed out";
}

TEST(SocketTest, SendAllGathersPiecesInOrder) {
  const auto pair = tcp_pair();
  ASSERT_TRUE(common::send_all(pair.client, {"GET ", "", "/ HTTP/1.1\r\n", "\r\n"}).ok());
  EXPECT_EQ(net_test::read_exactly(pair.server, 18), "GET / HTTP/1.1\r\n\r\n");
}

TEST(SocketTest, SendAllDeliversLargePiecesAcrossPartialSends) {
  // Far more than the socket buffers hold, in more pieces than one sendmsg gathers: sendmsg
  // returns partial counts that must be resumed mid-piece.
  const auto pair = tcp_pair();
  std::vector<std::string> pieces;
  for (char seed = 'a'; seed < 'a' + 20; ++seed) pieces.push_back(net_test::pattern(300000, seed));
  std::string expected;
  for (const auto& p : pieces) expected += p;
  std::string received;
  std::thread reader([&] { received = net_test::read_to_eof(pair.server); });
  const common::Status sent =
      common::send_all(pair.client, {pieces[0],  pieces[1],  pieces[2],  pieces[3],  pieces[4],
                                     pieces[5],  pieces[6],  pieces[7],  pieces[8],  pieces[9],
                                     pieces[10], pieces[11], pieces[12], pieces[13], pieces[14],
                                     pieces[15], pieces[16], pieces[17], pieces[18], pieces[19]});
  shutdown(pair.client.get(), SHUT_WR);
  reader.join();
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_EQ(received.size(), expected.size());
  EXPECT_TRUE(received == expected);
}

TEST(SocketTest, RecvSomeReturnsZeroWhenThePeerCloses) {
  auto pair = tcp_pair();
  pair.client.reset();
  char buffer[16];
  auto n = common::recv_some(pair.server, buffer, sizeof buffer);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 0u);
}

TEST(SocketTest, RecvTimeoutIsTimedOut) {
  const auto pair = tcp_pair();
  ASSERT_TRUE(common::set_io_timeouts(pair.server, 50ms, 50ms).ok());
  char buffer[16];
  auto n = common::recv_some(pair.server, buffer, sizeof buffer);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code, Errc::timed_out);
  EXPECT_EQ(n.error().message,
            "recv " + net_test::address_of(pair.client).to_string() + ": timed out");
}

// Closing with SO_LINGER 0 sends RST instead of FIN.
void reset_connection(common::Fd& fd) {
  const linger abort_on_close{1, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  fd.reset();
}

TEST(SocketTest, PeerResetIsReset) {
  auto pair = tcp_pair();
  reset_connection(pair.client);
  char buffer[16];
  auto n = common::recv_some(pair.server, buffer, sizeof buffer);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code, Errc::reset);
}

TEST(SocketTest, SendingToAClosedPeerFailsWithoutSigpipe) {
  auto pair = tcp_pair();
  pair.server.reset();
  const std::string chunk(65536, 'x');
  common::Status sent = common::Ok{};
  // The first sends may still be buffered; the RST to them makes a later one fail with EPIPE or
  // ECONNRESET. Without MSG_NOSIGNAL this test would die of SIGPIPE.
  for (int i = 0; i < 1000 && sent.ok(); ++i) sent = common::send_all(pair.client, chunk);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().code, Errc::reset) << sent.error().message;
}

TEST(SocketTest, AcceptBlockedOnAShutDownListenerIsStopped) {
  const common::Fd listener = net_test::listener();
  common::Accepted accepted;
  std::thread acceptor([&] { accepted = common::accept_connection(listener); });
  shutdown(listener.get(), SHUT_RDWR);  // wakes the accept whether it is blocked yet or not
  acceptor.join();
  EXPECT_EQ(accepted.outcome, common::AcceptOutcome::stopped);
  EXPECT_FALSE(accepted.fd.valid());
}

TEST(SocketTest, AcceptOnANonListeningSocketIsFatal) {
  const common::Fd not_socket(dup(2));
  const common::Accepted accepted = common::accept_connection(not_socket);
  EXPECT_EQ(accepted.outcome, common::AcceptOutcome::fatal);
  EXPECT_EQ(accepted.err, ENOTSOCK);
}

TEST(SocketTest, RaiseFdLimitReachesTheHardLimit) {
  const size_t limit = common::raise_fd_limit();
  rlimit now{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &now), 0);
  EXPECT_EQ(limit, now.rlim_cur);
  EXPECT_EQ(now.rlim_cur, now.rlim_max);
}

}  // namespace

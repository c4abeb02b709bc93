#include "common/tcp_server.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "tests/unit/net_test_support.hpp"

namespace {

using namespace std::chrono_literals;
using common::TcpServer;
using net_test::eventually;

void echo(const common::Fd& client, const common::Address&) {
  char buffer[4096];
  for (;;) {
    auto n = common::recv_some(client, buffer, sizeof buffer);
    if (!n || *n == 0) return;
    if (!common::send_all(client, std::string_view(buffer, *n)).ok()) return;
  }
}

// A server on an ephemeral loopback port.
class TcpServerTest : public testing::Test {
 protected:
  void open(TcpServer::Handler handler, size_t max_connections = 64) {
    auto server = TcpServer::open(
        {.listen = net_test::loopback(), .max_connections = max_connections}, std::move(handler));
    ASSERT_TRUE(server.ok()) << server.error().message;
    server_ = std::move(*server);
  }
  void start_accepting() { ASSERT_TRUE(server_->start().ok()); }
  void start(TcpServer::Handler handler, size_t max_connections = 64) {
    open(std::move(handler), max_connections);
    start_accepting();
  }
  // A client whose reads fail after a while rather than hang a broken test.
  common::Fd connect() {
    auto fd = common::connect_tcp(server_->local_address(), 5s);
    if (!fd) {
      ADD_FAILURE() << fd.error().message;
      return common::Fd();
    }
    EXPECT_TRUE(common::set_io_timeouts(*fd, 20s, 20s).ok());
    return std::move(*fd);
  }
  // Stops the server; true when stop() returned in time.
  bool stop() {
    auto stopping = std::async(std::launch::async, [this] { server_->stop(); });
    return stopping.wait_for(10s) == std::future_status::ready;
  }
  // Ends every connection and joins every handler; a test whose handler uses the test's locals
  // calls it before they go out of scope.
  void shut_down() {
    if (!server_) return;
    server_->shutdown_connections(SHUT_RDWR);  // so the destructor's join cannot hang
    EXPECT_TRUE(stop());
    server_.reset();
  }
  void TearDown() override { shut_down(); }

  std::unique_ptr<TcpServer> server_;
};

TEST_F(TcpServerTest, ListensOnAnEphemeralPort) {
  start(echo);
  EXPECT_EQ(server_->local_address().host(), "127.0.0.1");
  EXPECT_NE(server_->local_address().port(), 0);
}

TEST_F(TcpServerTest, EchoRoundTrip) {
  start(echo);
  const common::Fd client = connect();
  ASSERT_TRUE(common::send_all(client, "ping").ok());
  EXPECT_EQ(net_test::read_exactly(client, 4), "ping");
  ASSERT_TRUE(common::send_all(client, {"po", "ng"}).ok());
  EXPECT_EQ(net_test::read_exactly(client, 4), "pong");
}

TEST_F(TcpServerTest, ServesConnectionsConcurrently) {
  start(echo);
  std::vector<common::Fd> clients;
  for (int i = 0; i < 20; ++i) clients.push_back(connect());
  for (size_t i = 0; i < clients.size(); ++i) {
    ASSERT_TRUE(common::send_all(clients[i], "client " + std::to_string(i)).ok());
  }
  for (size_t i = 0; i < clients.size(); ++i) {
    const std::string expected = "client " + std::to_string(i);
    EXPECT_EQ(net_test::read_exactly(clients[i], expected.size()), expected);
  }
  EXPECT_EQ(server_->open_connections(), 20u);
}

TEST_F(TcpServerTest, StopClosesTheListener) {
  start(echo);
  EXPECT_TRUE(stop());
  // The listener no longer accepts: a new connect is refused or never served.
  auto fd = common::connect_tcp(server_->local_address(), 1s);
  EXPECT_FALSE(fd.ok());
}

TEST_F(TcpServerTest, StartReturnsWhileTheServerKeepsServing) {
  open(echo);
  auto started = std::async(std::launch::async, [this] { return server_->start(); });
  ASSERT_EQ(started.wait_for(10s), std::future_status::ready);
  ASSERT_TRUE(started.get().ok());
  const common::Fd client = connect();
  ASSERT_TRUE(common::send_all(client, "after start").ok());
  EXPECT_EQ(net_test::read_exactly(client, 11), "after start");
}

TEST_F(TcpServerTest, StopServesTheConnectionsQueuedBeforeIt) {
  open(echo);  // not started: connections wait in the backlog
  const common::Fd client = connect();
  ASSERT_TRUE(common::send_all(client, "queued").ok());
  EXPECT_TRUE(stop());
  EXPECT_EQ(net_test::read_exactly(client, 6), "queued");
}

TEST_F(TcpServerTest, StopFromSeveralThreadsAtOnceReturnsInEach) {
  start(echo);
  std::vector<std::future<bool>> stoppers;
  for (int i = 0; i < 4; ++i) {
    stoppers.push_back(std::async(std::launch::async, [this] { return stop(); }));
  }
  for (auto& stopper : stoppers) EXPECT_TRUE(stopper.get());
  EXPECT_TRUE(stop());  // and once more afterwards
}

TEST_F(TcpServerTest, DestroyingAStartedServerStopsItAndJoinsItsThreads) {
  start(echo);
  {
    const common::Fd client = connect();
    ASSERT_TRUE(common::send_all(client, "x").ok());
    EXPECT_EQ(net_test::read_exactly(client, 1), "x");
  }
  const common::Address address = server_->local_address();
  auto destroyed = std::async(std::launch::async, [this] { server_.reset(); });
  ASSERT_EQ(destroyed.wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(common::connect_tcp(address, 1s).ok());
}

TEST_F(TcpServerTest, ShutdownReadWakesAHandlerBlockedInRecv) {
  // Shared, so that a failing test that returns early leaves the handler nothing dangling.
  auto handler_read = std::make_shared<std::promise<size_t>>();
  start([handler_read](const common::Fd& client, const common::Address&) {
    char buffer[64];
    auto n = common::recv_some(client, buffer, sizeof buffer);
    handler_read->set_value(n ? *n : size_t{999});
  });
  const common::Fd client = connect();
  ASSERT_TRUE(eventually([&] { return server_->open_connections() == 1; }));
  server_->shutdown_connections(SHUT_RD);
  auto read = handler_read->get_future();
  ASSERT_EQ(read.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(read.get(), 0u);  // SHUT_RD reads as EOF
  EXPECT_TRUE(server_->wait_idle(10s));
  EXPECT_EQ(server_->open_connections(), 0u);
}

TEST_F(TcpServerTest, WaitIdleWaitsForOpenConnections) {
  start(echo);
  common::Fd client = connect();
  ASSERT_TRUE(eventually([&] { return server_->open_connections() == 1; }));
  EXPECT_FALSE(server_->wait_idle(50ms));  // the connection is still open
  client.reset();                          // echo() sees EOF and returns
  EXPECT_TRUE(server_->wait_idle(10s));
  EXPECT_EQ(server_->open_connections(), 0u);
}

TEST_F(TcpServerTest, ClosesTheConnectionAfterTheHandlerReturns) {
  start([](const common::Fd& client, const common::Address&) {
    (void)common::send_all(client, "bye");
  });
  const common::Fd client = connect();
  EXPECT_EQ(net_test::read_to_eof(client), "bye");
}

TEST_F(TcpServerTest, HandlerSeesThePeerAddress) {
  auto peer = std::make_shared<std::promise<std::string>>();
  start([peer](const common::Fd&, const common::Address& address) {
    peer->set_value(address.to_string());
  });
  const common::Fd client = connect();
  auto seen = peer->get_future();
  ASSERT_EQ(seen.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(seen.get(), net_test::address_of(client).to_string());
}

TEST_F(TcpServerTest, MaxConnectionsBoundsConcurrentHandlers) {
  std::atomic<int> active{0};
  std::atomic<int> peak{0};
  start(
      [&](const common::Fd& client, const common::Address& address) {
        peak = std::max(peak.load(), ++active);
        echo(client, address);
        --active;
      },
      2);
  std::vector<common::Fd> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(connect());  // the third waits in the backlog
  for (const auto& client : clients) ASSERT_TRUE(common::send_all(client, "x").ok());
  EXPECT_EQ(net_test::read_exactly(clients[0], 1), "x");
  EXPECT_EQ(net_test::read_exactly(clients[1], 1), "x");
  EXPECT_EQ(active.load(), 2);
  clients[0].reset();  // frees a slot, so the third connection is served
  EXPECT_EQ(net_test::read_exactly(clients[2], 1), "x");
  shut_down();
  EXPECT_EQ(peak.load(), 2);
}

// Lowers RLIMIT_NOFILE so that no new descriptor can be created; restores it when destroyed.
class DescriptorsExhausted {
 public:
  DescriptorsExhausted() {
    getrlimit(RLIMIT_NOFILE, &saved_);
    const common::Fd probe(dup(0));  // the lowest free number: the limit that leaves none free
    rlimit lowered = saved_;
    lowered.rlim_cur = static_cast<rlim_t>(probe.get());
    setrlimit(RLIMIT_NOFILE, &lowered);
  }
  ~DescriptorsExhausted() { setrlimit(RLIMIT_NOFILE, &saved_); }
  DescriptorsExhausted(const DescriptorsExhausted&) = delete;
  DescriptorsExhausted& operator=(const DescriptorsExhausted&) = delete;

 private:
  rlimit saved_{};
};

TEST_F(TcpServerTest, ShedsConnectionsWhileOutOfDescriptorsAndRecovers) {
#ifdef __SANITIZE_ADDRESS__
  // AddressSanitizer opens pipes of its own while the process runs; with every descriptor taken
  // it exits. The normal and ThreadSanitizer builds run this test.
  GTEST_SKIP() << "needs free descriptors under AddressSanitizer";
#endif
  open(echo);
  std::vector<common::Fd> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(connect());  // queued in the backlog
  testing::internal::CaptureStderr();
  {
    const DescriptorsExhausted exhausted;
    start_accepting();
    // Each queued connection is accepted on the spare descriptor and closed at once: a clean
    // EOF, where a served (echo) connection would say nothing and the read would time out.
    for (const auto& client : clients) {
      char byte;
      auto n = common::recv_some(client, &byte, 1);
      ASSERT_TRUE(n.ok()) << n.error().message;
      EXPECT_EQ(*n, 0u);
    }
  }
  const std::string log = testing::internal::GetCapturedStderr();
  const common::Fd client = connect();
  ASSERT_TRUE(common::send_all(client, "back").ok());
  EXPECT_EQ(net_test::read_exactly(client, 4), "back");
  // One line for the whole burst, not one per connection.
  const std::string expected = ": Too many open files; shedding connections";
  EXPECT_NE(log.find(expected), std::string::npos) << log;
  EXPECT_EQ(log.find(expected), log.rfind(expected)) << log;
}

TEST(TcpServerOpenTest, FailsOnABusyPortNamingTheAddress) {
  const common::Fd busy = net_test::listener();
  const common::Address address = net_test::address_of(busy);
  auto server = TcpServer::open({.listen = address}, echo);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.error().message, "bind " + address.to_string() + ": Address already in use");
}

}  // namespace

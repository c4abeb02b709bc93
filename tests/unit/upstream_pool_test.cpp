#include "load_balancer/upstream_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/net_test_support.hpp"

namespace lb {
namespace {

using namespace std::chrono_literals;

BackendPool make_pool(const std::string& list) {
  auto specs = parse_backend_list(list);
  if (!specs) throw std::runtime_error(specs.error().message);
  return BackendPool(std::move(*specs), Thresholds{1, 1});
}

// An idle connection as the pool holds it (the proxy's end) and the backend's end of it.
struct Connection {
  common::Fd proxy_end;
  common::Fd backend_end;
  int fd = -1;  // proxy_end's number, to recognise it when it comes back
};

Connection connection() {
  net_test::TcpPair pair = net_test::tcp_pair();
  const int fd = pair.client.get();
  return {std::move(pair.client), std::move(pair.server), fd};
}

class UpstreamPoolTest : public testing::Test {
 protected:
  BackendPool backends_ = make_pool("127.0.0.1:1,127.0.0.1:2");
  Backend& a_ = *backends_.at(0);
  Backend& b_ = *backends_.at(1);
};

TEST_F(UpstreamPoolTest, EmptyPoolGivesNothing) {
  UpstreamPool pool;
  EXPECT_FALSE(pool.take(a_).valid());
}

TEST_F(UpstreamPoolTest, GivesTheMostRecentlyReturnedFirstAndKeepsBackendsApart) {
  UpstreamPool pool;
  Connection first = connection();
  Connection second = connection();
  Connection other = connection();
  pool.put(a_, std::move(first.proxy_end));
  pool.put(a_, std::move(second.proxy_end));
  pool.put(b_, std::move(other.proxy_end));
  EXPECT_EQ(pool.idle_count(a_), 2u);
  EXPECT_EQ(pool.take(a_).get(), second.fd);
  EXPECT_EQ(pool.take(a_).get(), first.fd);
  EXPECT_FALSE(pool.take(a_).valid());
  EXPECT_EQ(pool.take(b_).get(), other.fd);
}

// The pool owns what it keeps: its end closes every idle connection, though the backend lives on.
TEST_F(UpstreamPoolTest, ItsEndClosesItsIdleConnections) {
  Connection kept = connection();
  {
    UpstreamPool pool;
    pool.put(a_, std::move(kept.proxy_end));
  }
  EXPECT_TRUE(net_test::eventually([&] {
    char byte;
    return recv(kept.backend_end.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
  }));
}

TEST_F(UpstreamPoolTest, DropsConnectionsTheBackendClosed) {
  UpstreamPool pool;
  Connection usable = connection();
  Connection closed = connection();
  pool.put(a_, std::move(usable.proxy_end));
  pool.put(a_, std::move(closed.proxy_end));
  closed.backend_end.reset();
  // The FIN may take a moment on loopback; the stale one is never handed out.
  ASSERT_TRUE(net_test::eventually([&] {
    char byte;
    return recv(closed.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
  }));
  EXPECT_EQ(pool.take(a_).get(), usable.fd);
  EXPECT_EQ(pool.idle_count(a_), 0u);
}

TEST_F(UpstreamPoolTest, DropsConnectionsWithBytesNobodyAskedFor) {
  UpstreamPool pool;
  Connection chatty = connection();
  pool.put(a_, std::move(chatty.proxy_end));
  ASSERT_TRUE(common::send_all(chatty.backend_end, "HTTP/1.1 408 Request Timeout\r\n\r\n"));
  ASSERT_TRUE(net_test::eventually([&] {
    char byte;
    return recv(chatty.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 1;
  }));
  EXPECT_FALSE(pool.take(a_).valid());
}

TEST_F(UpstreamPoolTest, AReplayableRequestTakesARecentConnectionUnchecked) {
  UpstreamPool pool;
  Connection closed = connection();
  pool.put(a_, std::move(closed.proxy_end));
  closed.backend_end.reset();
  ASSERT_TRUE(net_test::eventually([&] {
    char byte;
    return recv(closed.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
  }));
  // No check: should it be stale, the request is replayed on a new connection. (Without
  // `replayable` it is dropped: DropsConnectionsTheBackendClosed.)
  EXPECT_EQ(pool.take(a_, true).get(), closed.fd);
}

TEST_F(UpstreamPoolTest, ClosesTheLeastRecentlyUsedPastTheBound) {
  UpstreamPool pool({2, 30s});
  Connection c1 = connection();
  Connection c2 = connection();
  Connection c3 = connection();
  pool.put(a_, std::move(c1.proxy_end));
  pool.put(a_, std::move(c2.proxy_end));
  pool.put(a_, std::move(c3.proxy_end));
  EXPECT_EQ(pool.idle_count(a_), 2u);
  EXPECT_EQ(net_test::read_to_eof(c1.backend_end), "");  // closed by the pool
  EXPECT_EQ(pool.take(a_).get(), c3.fd);
  EXPECT_EQ(pool.take(a_).get(), c2.fd);
}

TEST_F(UpstreamPoolTest, DropsConnectionsIdleTooLong) {
  UpstreamPool pool({64, 1ms});
  Connection old = connection();
  pool.put(a_, std::move(old.proxy_end));
  std::this_thread::sleep_for(5ms);  // ages the connection past max_idle_time
  EXPECT_FALSE(pool.take(a_).valid());
  EXPECT_EQ(pool.idle_count(a_), 0u);
}

TEST_F(UpstreamPoolTest, EmptiedWhenTheBackendIsDown) {
  UpstreamPool pool;
  Connection kept = connection();
  Connection late = connection();
  pool.put(a_, std::move(kept.proxy_end));
  a_.mark_down("test");
  EXPECT_FALSE(pool.take(a_).valid());
  EXPECT_EQ(pool.idle_count(a_), 0u);
  pool.put(a_, std::move(late.proxy_end));
  EXPECT_EQ(pool.idle_count(a_), 0u);
  EXPECT_EQ(net_test::read_to_eof(late.backend_end), "");
}

TEST_F(UpstreamPoolTest, ClearClosesEveryIdleConnection) {
  UpstreamPool pool;
  Connection c1 = connection();
  pool.put(a_, std::move(c1.proxy_end));
  pool.clear(a_);
  EXPECT_EQ(pool.idle_count(a_), 0u);
  EXPECT_EQ(net_test::read_to_eof(c1.backend_end), "");
}

TEST_F(UpstreamPoolTest, ConcurrentUsersNeverShareAConnection) {
  UpstreamPool pool;
  constexpr int kConnections = 8;
  std::vector<Connection> connections;
  for (int i = 0; i < kConnections; ++i) {
    connections.push_back(connection());
    pool.put(i % 2 == 0 ? a_ : b_, std::move(connections.back().proxy_end));
  }
  std::vector<std::unique_ptr<std::atomic<bool>>> in_use(1024);
  for (auto& flag : in_use) flag = std::make_unique<std::atomic<bool>>(false);
  std::atomic<int> shared{0};
  std::vector<std::thread> users;
  for (int t = 0; t < 4; ++t) {
    users.emplace_back([&, t] {
      Backend& backend = t % 2 == 0 ? a_ : b_;
      for (int i = 0; i < 2000; ++i) {
        common::Fd fd = pool.take(backend);
        if (!fd) continue;
        if (in_use[static_cast<size_t>(fd.get())]->exchange(true)) ++shared;
        in_use[static_cast<size_t>(fd.get())]->store(false);
        pool.put(backend, std::move(fd));
      }
    });
  }
  for (std::thread& user : users) user.join();
  EXPECT_EQ(shared.load(), 0);
  EXPECT_EQ(pool.idle_count(a_) + pool.idle_count(b_), static_cast<size_t>(kConnections));
}

TEST(LeaseUpstreamTest, ConnectsThenReusesAnIdleConnection) {
  const common::Fd listener = net_test::listener();
  BackendPool backends = make_pool(net_test::address_of(listener).to_string());
  UpstreamPool idle;
  Tried tried;
  auto first = lease_upstream(backends, &idle, tried, {});
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_FALSE(first->reused);
  const int fd = first->fd.get();
  idle.put(*first->backend, std::move(first->fd));
  auto second = lease_upstream(backends, &idle, tried, {});
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->reused);
  EXPECT_EQ(second->fd.get(), fd);
  idle.put(*second->backend, std::move(second->fd));
  auto fresh = lease_upstream(backends, &idle, tried, {1s, 1s, true});
  ASSERT_TRUE(fresh.ok());
  EXPECT_FALSE(fresh->reused);
}

TEST(LeaseUpstreamTest, FailsOverAndMarksARefusingBackendDown) {
  const common::Fd listener = net_test::listener();
  common::Address refusing;
  {
    const common::Fd closed = net_test::listener();
    refusing = net_test::address_of(closed);
  }  // nothing listens there any more
  BackendPool backends =
      make_pool(refusing.to_string() + "," + net_test::address_of(listener).to_string());
  UpstreamPool idle;
  Tried tried;
  auto lease = lease_upstream(backends, &idle, tried, {});
  ASSERT_TRUE(lease.ok()) << lease.error().message;
  EXPECT_EQ(lease->backend, backends.at(1));
  EXPECT_FALSE(backends.at(0)->is_up());
  EXPECT_EQ(tried, Tried{backends.at(0)});
}

TEST(LeaseUpstreamTest, WithoutAPoolEveryLeaseIsANewConnection) {
  const common::Fd listener = net_test::listener();
  BackendPool backends = make_pool(net_test::address_of(listener).to_string());
  Tried tried;
  auto first = lease_upstream(backends, nullptr, tried, {.io_timeout = common::Millis::zero()});
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = lease_upstream(backends, nullptr, tried, {.io_timeout = common::Millis::zero()});
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_FALSE(first->reused);
  EXPECT_FALSE(second->reused);
  EXPECT_NE(first->fd.get(), second->fd.get());
}

TEST(LeaseUpstreamTest, SaysWhenNoBackendIsUp) {
  BackendPool backends = make_pool("127.0.0.1:1");
  backends.at(0)->mark_down("test");
  UpstreamPool idle;
  Tried tried;
  auto lease = lease_upstream(backends, &idle, tried, {});
  ASSERT_FALSE(lease.ok());
  EXPECT_EQ(lease.error().code, common::Errc::refused);
  EXPECT_EQ(lease.error().message, "no backend is up");
}

}  // namespace
}  // namespace lb

// Backends added, removed, drained and disabled at run time while connection threads pick.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/address.hpp"
#include "load_balancer/backend_pool.hpp"
#include "load_balancer/upstream_pool.hpp"
#include "tests/unit/lb_test_support.hpp"
#include "tests/unit/net_test_support.hpp"

namespace lb {
namespace {

using test::specs_of;

BackendPool make_pool(const std::vector<int>& weights, Balance balance = Balance::roundrobin) {
  std::vector<BackendSpec> specs = specs_of(weights);
  auto policy = make_policy(balance, specs);
  return BackendPool(std::move(specs), Thresholds{1, 1}, std::move(policy));
}

BackendSpec spec(const std::string& address, uint32_t weight = 1) {
  auto parsed = parse_backend_spec(address);
  EXPECT_TRUE(parsed.ok());
  parsed->weight = weight;
  return *parsed;
}

// How many of `n` picks went to each backend, by name.
std::map<std::string, int> spread(BackendPool& pool, int n) {
  std::map<std::string, int> out;
  for (int i = 0; i < n; ++i) {
    const auto backend = pool.pick();
    ++out[backend ? backend->name() : "-"];
  }
  return out;
}

TEST(BackendPoolControlTest, AddedBackendsTakeTheirShareAtOnce) {
  BackendPool pool = make_pool({1, 1});
  ASSERT_TRUE(pool.add(spec("127.0.0.1:3", 2)).ok());
  EXPECT_EQ(pool.size(), 3u);
  EXPECT_EQ(spread(pool, 400),
            (std::map<std::string, int>{
                {"127.0.0.1:1", 100}, {"127.0.0.1:2", 100}, {"127.0.0.1:3", 200}}));
}

TEST(BackendPoolControlTest, RefusesADuplicateAddress) {
  BackendPool pool = make_pool({1});
  const auto again = pool.add(spec("127.0.0.1:1"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message, "127.0.0.1:1: already a backend");
  EXPECT_EQ(pool.size(), 1u);
}

TEST(BackendPoolControlTest, RemovedBackendsAreNeverPickedAndFreedWhenLetGo) {
  BackendPool pool = make_pool({1, 1});
  std::shared_ptr<Backend> held = pool.pick();  // a session in flight on it
  ASSERT_NE(held, nullptr);
  const std::string name = held->name();
  std::weak_ptr<Backend> watch = held;
  EXPECT_EQ(pool.remove(name), held);
  EXPECT_EQ(pool.remove(name), nullptr);
  EXPECT_EQ(pool.find(name), nullptr);
  EXPECT_EQ(spread(pool, 10).count(name), 0u);
  EXPECT_FALSE(watch.expired());  // the session still uses it
  held.reset();
  EXPECT_TRUE(watch.expired());  // and it is freed once the session ends
}

TEST(BackendPoolControlTest, DrainingAndDisabledTakeNoNewSessionsUntilEnabled) {
  BackendPool pool = make_pool({1, 1, 1});
  pool.at(0)->set_admin_state(AdminState::draining);
  pool.at(1)->set_admin_state(AdminState::disabled);
  EXPECT_EQ(spread(pool, 9), (std::map<std::string, int>{{"127.0.0.1:3", 9}}));
  EXPECT_EQ(pool.at(0)->state_name(), "draining");
  EXPECT_EQ(pool.at(1)->state_name(), "disabled");
  pool.at(0)->set_admin_state(AdminState::active);
  pool.at(1)->set_admin_state(AdminState::active);
  EXPECT_EQ(spread(pool, 9).size(), 3u);
}

TEST(BackendPoolControlTest, FindsByNameOrAddressAndChangesWeights) {
  BackendPool pool = make_pool({1, 1});
  EXPECT_NE(pool.find("127.0.0.1:2"), nullptr);
  EXPECT_EQ(pool.find("127.0.0.1:9"), nullptr);
  ASSERT_TRUE(pool.set_weight("127.0.0.1:2", 3));
  EXPECT_FALSE(pool.set_weight("127.0.0.1:9", 3));
  EXPECT_EQ(spread(pool, 400),
            (std::map<std::string, int>{{"127.0.0.1:1", 100}, {"127.0.0.1:2", 300}}));
}

// Consistent hashing rebuilds its ring: a client whose backend goes moves, the others stay.
TEST(BackendPoolControlTest, SourceRingFollowsTheSet) {
  BackendPool pool = make_pool({1, 1, 1}, Balance::source);
  std::map<uint64_t, std::string> before;
  for (uint64_t i = 0; i < 300; ++i) {
    const uint64_t key = i * 0x9e3779b97f4a7c15;  // spread over the ring
    before[key] = pool.pick({}, key)->name();
  }
  ASSERT_NE(pool.remove("127.0.0.1:2"), nullptr);
  int moved = 0;
  for (const auto& [key, name] : before) {
    const std::string now = pool.pick({}, key)->name();
    EXPECT_NE(now, "127.0.0.1:2");
    if (name != "127.0.0.1:2") {
      EXPECT_EQ(now, name) << key;
    }
    moved += now != name;
  }
  EXPECT_GT(moved, 0);
  ASSERT_TRUE(pool.add(spec("127.0.0.1:2")).ok());  // back: every client where it was
  for (const auto& [key, name] : before) EXPECT_EQ(pool.pick({}, key)->name(), name) << key;
}

TEST(BackendPoolControlTest, IdleConnectionsOfADrainingBackendAreClosedAndRefused) {
  BackendPool pool = make_pool({1});
  UpstreamPool idle;
  Backend& backend = *pool.at(0);
  net_test::TcpPair first = net_test::tcp_pair();
  idle.put(backend, std::move(first.client));
  EXPECT_EQ(idle.idle_count(backend), 1u);
  backend.set_admin_state(AdminState::draining);
  EXPECT_FALSE(idle.take(backend).valid());
  EXPECT_EQ(idle.idle_count(backend), 0u);
  net_test::TcpPair second = net_test::tcp_pair();
  idle.put(backend, std::move(second.client));
  EXPECT_EQ(idle.idle_count(backend), 0u);
}

// Connection threads pick and hold sessions while backends come and go and change state, under
// every policy; run under -DSANITIZE=thread. 127.0.0.1:1 stays active (only its weight changes),
// so a pick always finds one, and every backend handed out stays valid while it is held.
class ConcurrentControlTest : public testing::TestWithParam<Balance> {};

TEST_P(ConcurrentControlTest, PicksWhileBackendsComeAndGo) {
  BackendPool pool = make_pool({1, 2}, GetParam());
  std::atomic<int> missing{0};
  std::vector<std::thread> pickers;
  for (int t = 0; t < 4; ++t) {
    pickers.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        std::shared_ptr<Backend> backend = pool.pick({}, static_cast<uint64_t>(i * 4 + t));
        if (!backend) {
          ++missing;
          continue;
        }
        const Backend::Session session(*backend);
        backend->stats().record_response(200, std::chrono::microseconds(i));
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    const std::string name = "127.0.0.1:" + std::to_string(10 + i % 5);
    if (pool.find(name)) {
      pool.remove(name);
    } else {
      (void)pool.add(spec(name, static_cast<uint32_t>(1 + i % 3)));
    }
    pool.at(1)->set_admin_state(i % 2 == 0 ? AdminState::draining : AdminState::active);
    (void)pool.set_weight("127.0.0.1:1", static_cast<uint32_t>(1 + i % 4));
  }
  for (std::thread& picker : pickers) picker.join();
  EXPECT_EQ(missing.load(), 0);
  for (const auto& backend : pool.backends()) EXPECT_EQ(backend->active_sessions(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Kinds, ConcurrentControlTest,
                         testing::Values(Balance::roundrobin, Balance::leastconn, Balance::random2,
                                         Balance::source),
                         [](const auto& p) { return std::string(to_string(p.param)); });

}  // namespace
}  // namespace lb

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "load_balancer/admin/admin_http.hpp"
#include "load_balancer/admin/auth.hpp"
#include "load_balancer/admin/sampler.hpp"
#include "load_balancer/admin/stats_json.hpp"
#include "tests/unit/lb_test_support.hpp"

namespace lb {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

TEST(AdminStatsTest, JsonHasEveryFieldOfEveryBackend) {
  BackendPool pool(test::specs_of({1, 2}), Thresholds{1, 1});
  ProxyStats proxy;
  Sampler sampler;
  const auto t0 = Sampler::Clock::now();
  sampler.sample(pool.backends(), t0);
  for (int i = 0; i < 10; ++i) pool.at(0)->stats().record_response(200, microseconds(800));
  pool.at(0)->stats().record_response(502, microseconds(800));
  pool.at(1)->set_admin_state(AdminState::disabled);
  proxy.record_error(503);
  sampler.sample(pool.backends(), t0 + seconds(1));

  const auto stats = nlohmann::json::parse(stats_json(pool, proxy, sampler, true));
  EXPECT_GT(stats["time_ms"].get<int64_t>(), 0);
  EXPECT_EQ(stats["proxy_errors"]["503"], 1);
  ASSERT_EQ(stats["backends"].size(), 2u);
  const nlohmann::json& a = stats["backends"][0];
  for (const char* field :
       {"address", "state", "health", "admin", "weight", "active", "requests", "responses",
        "connect_failures", "failures", "retries", "requests_per_s", "error_rate", "p99_ms",
        "last_change_ms", "history"}) {
    EXPECT_TRUE(a.contains(field)) << field;
  }
  EXPECT_EQ(a["address"], "127.0.0.1:1");
  EXPECT_EQ(a["state"], "up");
  EXPECT_EQ(a["requests"], 11);
  EXPECT_EQ(a["responses"]["2xx"], 10);
  EXPECT_EQ(a["responses"]["5xx"], 1);
  EXPECT_DOUBLE_EQ(a["requests_per_s"].get<double>(), 11.0);
  EXPECT_DOUBLE_EQ(a["error_rate"].get<double>(), 1.0 / 11.0);
  EXPECT_GT(a["p99_ms"].get<double>(), 0.5);  // every one in the 0.5..1 ms bucket
  EXPECT_LE(a["p99_ms"].get<double>(), 1.0);
  EXPECT_EQ(a["history"], nlohmann::json::array({11.0}));
  const nlohmann::json& b = stats["backends"][1];
  EXPECT_EQ(b["state"], "disabled");
  EXPECT_EQ(b["admin"], "disabled");
  EXPECT_EQ(b["health"], "up");
  EXPECT_EQ(b["weight"], 2);
  const auto without = nlohmann::json::parse(stats_json(pool, proxy, sampler, false));
  EXPECT_FALSE(without["backends"][0].contains("history"));
}

TEST(AdminStatsTest, BackendsJsonIsTheStatsBackendsArrayAndBackendJsonOneOfIt) {
  BackendPool pool(test::specs_of({1, 2}), Thresholds{1, 1});
  ProxyStats proxy;
  Sampler sampler;
  sampler.sample(pool.backends(), Sampler::Clock::now());
  pool.at(1)->stats().record_response(200, microseconds(800));
  const auto stats = nlohmann::json::parse(stats_json(pool, proxy, sampler, false));
  const auto backends = nlohmann::json::parse(backends_json(pool, sampler));
  EXPECT_EQ(backends, stats["backends"]);
  const auto second = nlohmann::json::parse(backend_json(*pool.at(1), sampler.rates(*pool.at(1))));
  EXPECT_EQ(second, stats["backends"][1]);
  EXPECT_EQ(second["requests"], 1);
  EXPECT_FALSE(second.contains("history"));
}

TEST(AdminStatsTest, SamplerKeepsFiveMinutesAndStartsAfreshForANewBackend) {
  BackendPool pool(test::specs_of({1}), Thresholds{1, 1});
  Sampler sampler;
  const auto t0 = Sampler::Clock::now();
  for (int s = 0; s <= 400; ++s) {
    pool.at(0)->stats().record_connection();
    sampler.sample(pool.backends(), t0 + seconds(s));
  }
  const Sampler::Rates rates = sampler.rates(*pool.at(0));
  EXPECT_EQ(rates.history.size(), Sampler::kHistory);
  EXPECT_DOUBLE_EQ(rates.requests_per_s, 1.0);
  const std::string name = pool.at(0)->name();
  const auto removed = pool.remove(name);
  ASSERT_TRUE(pool.add(BackendSpec{name, removed->address(), 1}).ok());
  sampler.sample(pool.backends(), t0 + seconds(401));
  EXPECT_TRUE(sampler.rates(*pool.at(0)).history.empty());
}

TEST(AdminStatsTest, QuantileInterpolatesWithinItsBucket) {
  std::array<uint64_t, kLatencyBuckets> buckets{};
  EXPECT_EQ(latency_quantile_ms(buckets, 0.99), 0);
  buckets[0] = 100;  // all within 0..0.5 ms
  EXPECT_DOUBLE_EQ(latency_quantile_ms(buckets, 0.5), 0.25);
  buckets[1] = 100;  // half of them within 0.5..1 ms
  EXPECT_DOUBLE_EQ(latency_quantile_ms(buckets, 0.99), 0.99);
  buckets[kLatencyBuckets - 1] = 10000;  // beyond the last bound: the last bound
  EXPECT_DOUBLE_EQ(latency_quantile_ms(buckets, 0.99), 10000.0);
}

TEST(AdminAuthTest, TokenFromTheHeaderOrWhereAllowedTheQuery) {
  EXPECT_TRUE(token_matches("secret", "secret"));
  EXPECT_FALSE(token_matches("secre", "secret"));
  EXPECT_FALSE(token_matches("secrets", "secret"));
  EXPECT_FALSE(token_matches("", "secret"));
  EXPECT_TRUE(authorized("", "", "", false));  // no token set: open
  EXPECT_TRUE(authorized("s3", "Bearer s3", "", false));
  EXPECT_FALSE(authorized("s3", "Bearer s4", "", false));
  EXPECT_FALSE(authorized("s3", "Basic s3", "", false));
  EXPECT_FALSE(authorized("s3", "", "token=s3", false));
  EXPECT_TRUE(authorized("s3", "", "a=1&token=s3", true));
  EXPECT_TRUE(authorized("a b", "", "token=a%20b", true));
  EXPECT_FALSE(authorized("s3", "", "token=s", true));
}

TEST(AdminHttpTest, DecodesPercentEscapesAndQueryValues) {
  EXPECT_EQ(percent_decode("/backends/127.0.0.1%3A80"), "/backends/127.0.0.1:80");
  EXPECT_EQ(percent_decode("%5B%3a%3a1%5D"), "[::1]");
  EXPECT_EQ(percent_decode("%4"), std::nullopt);
  EXPECT_EQ(percent_decode("%zz"), std::nullopt);
  EXPECT_EQ(query_value("a=1&token=x%2By", "token"), "x+y");
  EXPECT_EQ(query_value("a=1", "token"), std::nullopt);
  EXPECT_EQ(query_value("", "token"), std::nullopt);
}

}  // namespace
}  // namespace lb

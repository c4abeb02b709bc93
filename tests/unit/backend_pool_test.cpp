#include "load_balancer/backend_pool.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/address.hpp"
#include "load_balancer/policies/power_of_two.hpp"
#include "tests/unit/lb_test_support.hpp"

namespace lb {
namespace {

using Clock = Backend::Clock;
using std::chrono::seconds;

using test::specs_of;

// Backends with the given weights; rise and fall of 1 so that one check flips a backend.
BackendPool make_pool(const std::vector<int>& weights, Balance balance = Balance::roundrobin,
                      common::Millis slow_start = {}) {
  std::vector<BackendSpec> specs = specs_of(weights);
  auto policy = make_policy(balance, specs);
  return BackendPool(std::move(specs), Thresholds{1, 1}, std::move(policy), slow_start);
}

// The index of each of `n` picks, spelled as digits: "0123".
std::string picks(BackendPool& pool, int n, const Tried& tried = {},
                  Clock::time_point now = Clock::now()) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    const auto backend = pool.pick(tried, 0, now);
    if (backend == nullptr) {
      out += '-';
      continue;
    }
    for (size_t j = 0; j < pool.size(); ++j) {
      if (pool.at(j) == backend) out += static_cast<char>('0' + j);
    }
  }
  return out;
}

std::map<char, int> counts(const std::string& sequence) {
  std::map<char, int> out;
  for (const char c : sequence) ++out[c];
  return out;
}

TEST(BackendPoolTest, EqualWeightsGoRoundInOrder) {
  BackendPool pool = make_pool({1, 1, 1, 1});
  EXPECT_EQ(picks(pool, 12), "012301230123");
}

TEST(BackendPoolTest, SkipsBackendsThatAreDown) {
  BackendPool pool = make_pool({1, 1, 1, 1});
  pool.at(1)->record_check(false, "test");
  EXPECT_EQ(pool.up_count(), 3u);
  const std::string down_one = picks(pool, 300);
  EXPECT_EQ(counts(down_one), (std::map<char, int>{{'0', 100}, {'2', 100}, {'3', 100}}));
}

TEST(BackendPoolTest, RoundRobinFollowsChangingUpSets) {
  BackendPool pool = make_pool({1, 1, 1});
  pool.at(0)->mark_down("test");
  EXPECT_EQ(picks(pool, 6).find('0'), std::string::npos);
  pool.at(2)->record_check(false, "test");
  EXPECT_EQ(picks(pool, 4), "1111");
  pool.at(0)->record_check(true, "test");
  pool.at(2)->record_check(true, "test");
  // Back to a fair share: over 300 picks each within one of 100.
  for (const auto& [index, count] : counts(picks(pool, 300))) {
    EXPECT_NEAR(count, 100, 1) << "backend " << index;
  }
}

TEST(BackendPoolTest, WeightsSpreadSmoothly) {
  BackendPool pool = make_pool({5, 1, 1});
  EXPECT_EQ(picks(pool, 7), "0010200");  // nginx's example: a a b a c a a
  EXPECT_EQ(counts(picks(pool, 700)), (std::map<char, int>{{'0', 500}, {'1', 100}, {'2', 100}}));
}

TEST(BackendPoolTest, WeightsApplyAmongTheBackendsUp) {
  BackendPool pool = make_pool({3, 1, 2});
  pool.at(0)->record_check(false, "test");
  EXPECT_EQ(counts(picks(pool, 300)), (std::map<char, int>{{'1', 100}, {'2', 200}}));
}

TEST(BackendPoolTest, SkipsBackendsAlreadyTried) {
  BackendPool pool = make_pool({1, 1, 1});
  const Tried tried{pool.at(0), pool.at(2)};
  EXPECT_EQ(picks(pool, 5, tried), "11111");
  const Tried all{pool.at(0), pool.at(1), pool.at(2)};
  EXPECT_EQ(pool.pick(all), nullptr);
}

TEST(BackendPoolTest, TriedAndDownTogetherCanLeaveNone) {
  BackendPool pool = make_pool({1, 1});
  pool.at(1)->mark_down("test");
  EXPECT_EQ(pool.pick({pool.at(0)}), nullptr);
  EXPECT_EQ(pool.pick(), pool.at(0));
}

TEST(BackendPoolTest, NoneUpGivesNothingUntilOneComesBack) {
  BackendPool pool = make_pool({1, 1});
  pool.at(0)->record_check(false, "test");
  pool.at(1)->mark_down("test");
  EXPECT_EQ(pool.up_count(), 0u);
  EXPECT_EQ(picks(pool, 3), "---");
  pool.at(1)->record_check(true, "test");
  EXPECT_EQ(picks(pool, 3), "111");
}

class RecordingPolicy final : public PickPolicy {
 public:
  size_t choose(std::span<const Candidate> candidates, uint64_t key) override {
    seen.clear();
    for (const Candidate& candidate : candidates) seen.push_back(candidate.index);
    last.assign(candidates.begin(), candidates.end());
    last_key = key;
    return candidates.back().index;
  }
  std::vector<size_t> seen;
  std::vector<Candidate> last;
  uint64_t last_key = 0;
};

TEST(BackendPoolTest, PolicyChoosesAmongCandidatesOnly) {
  auto policy = std::make_unique<RecordingPolicy>();
  RecordingPolicy& recording = *policy;
  BackendPool pool(specs_of({1, 1, 1, 1}), Thresholds{1, 1}, std::move(policy));
  pool.at(1)->mark_down("test");
  EXPECT_EQ(pool.pick({pool.at(3)}), pool.at(2));
  EXPECT_EQ(recording.seen, (std::vector<size_t>{0, 2}));
}

TEST(BackendPoolTest, PolicySeesEffectiveWeightsSessionsAndTheKey) {
  auto policy = std::make_unique<RecordingPolicy>();
  RecordingPolicy& recording = *policy;
  BackendPool pool(specs_of({2, 1, 3}), Thresholds{1, 1}, std::move(policy), seconds(10));
  const auto t0 = Clock::now();
  pool.at(2)->record_check(false, "test", t0);
  pool.at(2)->record_check(true, "test", t0);
  const Backend::Session one(*pool.at(0));
  const Backend::Session two(*pool.at(0));
  const Backend::Session three(*pool.at(1));
  ASSERT_EQ(pool.pick({}, 77, t0 + seconds(5)), pool.at(2));
  EXPECT_EQ(recording.last_key, 77u);
  ASSERT_EQ(recording.last.size(), 3u);
  const std::vector<std::vector<uint64_t>> seen{
      {recording.last[0].index, recording.last[0].weight, recording.last[0].active},
      {recording.last[1].index, recording.last[1].weight, recording.last[1].active},
      {recording.last[2].index, recording.last[2].weight, recording.last[2].active}};
  // Backend 2 is half way through its slow start: 3000 * (0.1 + 0.9 / 2).
  EXPECT_EQ(seen, (std::vector<std::vector<uint64_t>>{{0, 2000, 2}, {1, 1000, 1}, {2, 1650, 0}}));
}

// Connection threads pick, count sessions and report traffic while health checks flip backends,
// under every policy; run under -DSANITIZE=thread.
class ConcurrentPoolTest : public testing::TestWithParam<Balance> {};

TEST_P(ConcurrentPoolTest, PicksWhileStatesChange) {
  BackendPool pool = make_pool({1, 2, 3}, GetParam(), seconds(1));
  std::vector<std::thread> pickers;
  std::atomic<int> missing{0};
  for (int t = 0; t < 4; ++t) {
    pickers.emplace_back([&, t] {
      for (int i = 0; i < 20000; ++i) {
        auto backend = pool.pick({}, static_cast<uint64_t>(i * 4 + t));
        if (backend == nullptr) {
          ++missing;  // backend 0 is always up
          continue;
        }
        const Backend::Session session(*backend);
        if (backend != pool.at(0)) backend->record_traffic(i % 3 != 0, "test");
      }
    });
  }
  for (int i = 0; i < 100; ++i) {  // each flip logs a line: keep them few
    pool.at(1)->record_check(i % 2 == 0, "test");
    pool.at(2)->mark_down("test");
    pool.at(2)->record_check(true, "test");
  }
  for (std::thread& picker : pickers) picker.join();
  EXPECT_EQ(missing.load(), 0);
  for (size_t i = 0; i < pool.size(); ++i) EXPECT_EQ(pool.at(i)->active_sessions(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Kinds, ConcurrentPoolTest,
                         testing::Values(Balance::roundrobin, Balance::leastconn, Balance::random2,
                                         Balance::source),
                         [](const auto& p) { return std::string(to_string(p.param)); });

TEST(BackendPoolTest, LeastConnPrefersIdleBackends) {
  BackendPool pool = make_pool({1, 1, 1}, Balance::leastconn);
  auto first = std::make_unique<Backend::Session>(*pool.at(0));
  const Backend::Session second(*pool.at(1));
  EXPECT_EQ(picks(pool, 4), "2222");
  const Backend::Session third(*pool.at(2));  // all busy alike: they rotate
  EXPECT_EQ(counts(picks(pool, 30)), (std::map<char, int>{{'0', 10}, {'1', 10}, {'2', 10}}));
  first.reset();
  EXPECT_EQ(picks(pool, 3), "000");
}

TEST(BackendPoolTest, Random2NeverPicksADownBackendAndSpreadsEvenly) {
  BackendPool pool(specs_of({1, 1, 1, 1}), Thresholds{1, 1},
                   std::make_unique<PowerOfTwoChoices>(2024));
  pool.at(2)->record_check(false, "test");
  const auto spread = counts(picks(pool, 10000));
  EXPECT_EQ(spread.count('2'), 0u);
  for (const char backend : {'0', '1', '3'}) {
    EXPECT_GT(spread.at(backend), 2800) << backend;  // 3333 expected
    EXPECT_LT(spread.at(backend), 3900) << backend;
  }
}

TEST(BackendPoolTest, SourceSticksToABackendWhileItIsUp) {
  BackendPool pool = make_pool({1, 1, 1}, Balance::source);
  const uint64_t client = affinity_key(*common::parse_address("10.0.0.7:40000"));
  auto sticky = pool.pick({}, client);
  ASSERT_NE(sticky, nullptr);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(pool.pick({}, client), sticky);
  auto failover = pool.pick({sticky}, client);  // its connect failed: another one, stably
  ASSERT_NE(failover, nullptr);
  EXPECT_NE(failover, sticky);
  EXPECT_EQ(pool.pick({sticky}, client), failover);
  sticky->record_check(false, "test");
  EXPECT_EQ(pool.pick({}, client), failover);
  sticky->record_check(true, "test");
  EXPECT_EQ(pool.pick({}, client), sticky);
}

TEST(BackendPoolTest, SlowStartRampsTheShareOfABackendThatCameBack) {
  BackendPool pool = make_pool({1, 1}, Balance::roundrobin, seconds(10));
  const auto t0 = Clock::now();
  pool.at(1)->record_check(false, "test", t0);
  pool.at(1)->record_check(true, "test", t0);
  // Weights 1000 and 100 at first, 1000 and 550 half way, equal at the end.
  EXPECT_EQ(counts(picks(pool, 1100, {}, t0)), (std::map<char, int>{{'0', 1000}, {'1', 100}}));
  EXPECT_EQ(counts(picks(pool, 1550, {}, t0 + seconds(5))),
            (std::map<char, int>{{'0', 1000}, {'1', 550}}));
  EXPECT_EQ(counts(picks(pool, 200, {}, t0 + seconds(10))),
            (std::map<char, int>{{'0', 100}, {'1', 100}}));
}

struct RampCase {
  const char* name;
  uint32_t weight;
  int slow_start_s;
  int since_ms;  // from the DOWN -> UP change to the pick
  uint32_t expected;
};

const RampCase kRampCases[] = {
    {"StartsAtATenth", 1, 10, 0, 100},
    {"QuarterWay", 1, 10, 2500, 325},
    {"HalfWay", 2, 10, 5000, 1100},
    {"NearlyThere", 1, 10, 9000, 910},
    {"FullAtTheEnd", 1, 10, 10000, 1000},
    {"FullLongAfter", 4, 10, 60000, 4000},
    {"ClockJustBeforeTheChange", 1, 10, -5, 100},
    {"OffMeansFullAtOnce", 3, 0, 0, 3000},
};

class SlowStartTest : public testing::TestWithParam<RampCase> {};

TEST_P(SlowStartTest, EffectiveWeightRampsLinearly) {
  const RampCase& c = GetParam();
  BackendSpec spec = specs_of({1}).front();
  spec.weight = c.weight;
  Backend backend(spec, Thresholds{1, 1}, seconds(c.slow_start_s));
  const auto t0 = Clock::now();
  backend.record_check(false, "test", t0);
  backend.record_check(true, "test", t0);
  EXPECT_EQ(backend.effective_weight(t0 + std::chrono::milliseconds(c.since_ms)), c.expected);
}

INSTANTIATE_TEST_SUITE_P(Table, SlowStartTest, testing::ValuesIn(kRampCases),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(SlowStartTest, NotAtStartUpAndAgainAtEachReturn) {
  Backend backend(specs_of({1}).front(), Thresholds{1, 1}, seconds(10));
  const auto t0 = Clock::now();
  EXPECT_EQ(backend.effective_weight(t0), 1000u);  // up from the start: no ramp
  backend.record_check(false, "test", t0);
  backend.record_check(true, "test", t0);
  EXPECT_EQ(backend.effective_weight(t0 + seconds(20)), 1000u);
  backend.mark_down("test");
  backend.record_check(true, "test", t0 + seconds(30));
  EXPECT_EQ(backend.effective_weight(t0 + seconds(30)), 100u);
  backend.record_check(true, "test", t0 + seconds(35));  // already up: the ramp goes on
  EXPECT_EQ(backend.effective_weight(t0 + seconds(35)), 550u);
}

// Feeds events to a backend with rise 2 and fall 3 and spells what each one did: 'U' it went up,
// 'D' down, '.' no change. Events: 'o' an exchange on live traffic succeeded, 'x' one failed,
// '+' an active check passed, '-' one failed, '!' a connect for a client failed.
std::string passive(std::string_view events) {
  Backend backend(specs_of({1}).front(), Thresholds{2, 3});
  std::string changes;
  for (const char event : events) {
    const bool was_up = backend.is_up();
    if (event == 'o' || event == 'x') backend.record_traffic(event == 'o', "test");
    if (event == '+' || event == '-') backend.record_check(event == '+', "test");
    if (event == '!') backend.mark_down("test");
    changes += backend.is_up() == was_up ? '.' : (backend.is_up() ? 'U' : 'D');
  }
  return changes;
}

struct PassiveCase {
  const char* name;
  const char* events;
  const char* changes;
};

const PassiveCase kPassiveCases[] = {
    {"FallFailuresTakeItDown", "xxx", "..D"},
    {"SuccessesKeepItUp", "oxoxoxo", "......."},
    {"ASuccessResetsTheCount", "xxoxxoxxx", "........D"},
    {"TrafficNeverBringsItBack", "xxxoooooo", "..D......"},
    {"ActiveChecksBringItBack", "xxx++", "..D.U"},
    {"CountStartsAfreshOnceBackUp", "xx---++xxx", "....D.U..D"},
    {"ChecksAndTrafficCountApart", "xx+x", "...D"},
    {"FailuresWhileDownKeepItDown", "xxxxx+x+", "..D....U"},
    {"AfterAFailedConnectChecksDecide", "!xxx++", "D....U"},
};

class PassiveHealthTest : public testing::TestWithParam<PassiveCase> {};

TEST_P(PassiveHealthTest, LiveTrafficTakesItDownChecksBringItBack) {
  EXPECT_EQ(passive(GetParam().events), GetParam().changes);
}

INSTANTIATE_TEST_SUITE_P(Table, PassiveHealthTest, testing::ValuesIn(kPassiveCases),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(PassiveHealthTest, LogsOneLineWithTheLastReason) {
  Backend backend(specs_of({1}).front(), Thresholds{2, 3});
  testing::internal::CaptureStderr();
  backend.record_traffic(false, "GET /a: closed without a response");
  backend.record_traffic(false, "GET /b: closed without a response");
  backend.record_traffic(false, "GET /c: response body cut short");
  backend.record_traffic(false, "GET /d: response body cut short");
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_FALSE(backend.is_up());
  ASSERT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_NE(out.find("backend 127.0.0.1:1 is DOWN: GET /c: response body cut short "
                     "(3 consecutive failures on live traffic)\n"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace lb

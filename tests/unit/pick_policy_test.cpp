#include "load_balancer/pick_policy.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "load_balancer/backend.hpp"
#include "load_balancer/policies/consistent_hash.hpp"
#include "load_balancer/policies/least_conn.hpp"
#include "load_balancer/policies/power_of_two.hpp"
#include "load_balancer/policies/round_robin.hpp"
#include "tests/unit/lb_test_support.hpp"

namespace lb {
namespace {

constexpr uint32_t kFull = kWeightScale;  // the effective weight of a weight-1 backend

// Idle candidates at full weight 1.
std::vector<Candidate> idle(const std::vector<size_t>& indexes) {
  std::vector<Candidate> out;
  for (const size_t i : indexes) out.push_back(Candidate{i, kFull, 0});
  return out;
}

using test::specs_of;

// A well spread key per number, as affinity_key gives for different clients.
uint64_t key(int n) { return stable_hash(std::to_string(n)); }

std::map<size_t, int> tally(PickPolicy& policy, std::span<const Candidate> candidates, int picks) {
  std::map<size_t, int> out;
  for (int i = 0; i < picks; ++i) ++out[policy.choose(candidates, key(i))];
  return out;
}

std::string sequence(PickPolicy& policy, std::span<const Candidate> candidates, int picks) {
  std::string out;
  for (int i = 0; i < picks; ++i) out += static_cast<char>('0' + policy.choose(candidates, 0));
  return out;
}

TEST(BalanceTest, NamesRoundTrip) {
  for (const Balance kind :
       {Balance::roundrobin, Balance::leastconn, Balance::random2, Balance::source}) {
    const auto parsed = parse_balance(to_string(kind));
    ASSERT_TRUE(parsed.ok()) << to_string(kind);
    EXPECT_EQ(*parsed, kind);
  }
  EXPECT_EQ(to_string(Balance::random2), "random2");
}

TEST(BalanceTest, RejectsUnknownNames) {
  for (const char* bad : {"", "rr", "RoundRobin", "least_conn", "random", "source "}) {
    const auto parsed = parse_balance(bad);
    ASSERT_FALSE(parsed.ok()) << '"' << bad << '"';
    EXPECT_EQ(parsed.error().message,
              std::string(bad) + ": unknown policy (roundrobin, leastconn, random2, source)");
  }
}

// Every policy, built by make_policy, picks only among the candidates of the moment and reaches
// each of them as the set of backends up changes.
class EveryPolicyTest : public testing::TestWithParam<Balance> {};

TEST_P(EveryPolicyTest, FollowsChangingUpSets) {
  const auto policy = make_policy(GetParam(), specs_of({1, 2, 1, 3, 1}));
  ASSERT_NE(policy, nullptr);
  const std::vector<std::vector<size_t>> up_sets{{0, 1, 2, 3, 4}, {0, 2, 4}, {1},
                                                 {1, 3},          {3, 4},    {0, 1, 2, 3, 4}};
  int n = 0;
  for (const auto& up : up_sets) {
    const std::vector<Candidate> candidates = idle(up);
    std::set<size_t> reached;
    for (int i = 0; i < 500; ++i) {
      const size_t chosen = policy->choose(candidates, key(n++));
      ASSERT_NE(std::find(up.begin(), up.end(), chosen), up.end()) << "picked down " << chosen;
      reached.insert(chosen);
    }
    EXPECT_EQ(reached, std::set<size_t>(up.begin(), up.end()));
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, EveryPolicyTest,
                         testing::Values(Balance::roundrobin, Balance::leastconn, Balance::random2,
                                         Balance::source),
                         [](const auto& p) { return std::string(to_string(p.param)); });

TEST(RoundRobinTest, EffectiveWeightsSetTheShares) {
  SmoothWeightedRoundRobin policy(3);
  // Backend 1 in slow start at a tenth of its weight.
  const std::vector<Candidate> candidates{{0, kFull, 0}, {1, kFull / 10, 0}, {2, kFull, 0}};
  EXPECT_EQ(tally(policy, candidates, 2100),
            (std::map<size_t, int>{{0, 1000}, {1, 100}, {2, 1000}}));
}

struct LoadCase {
  const char* name;
  std::vector<Candidate> candidates;  // {index, effective weight, active}
  size_t expected;
};

const LoadCase kLoadCases[] = {
    {"IdleOverBusy", {{0, kFull, 3}, {1, kFull, 0}, {2, kFull, 5}}, 1},
    {"FewestInFlight", {{0, kFull, 4}, {1, kFull, 2}, {2, kFull, 3}}, 1},
    {"PerUnitOfWeight", {{0, 3 * kFull, 2}, {1, kFull, 1}}, 0},
    {"LighterBackendFillsFirst", {{0, 2 * kFull, 3}, {1, kFull, 1}}, 1},
    {"SlowStartCountsAsLoad", {{0, kFull / 10, 1}, {1, kFull, 5}}, 1},
    {"OneCandidate", {{3, kFull, 100}}, 3},
};

class LeastConnLoadTest : public testing::TestWithParam<LoadCase> {};

TEST_P(LeastConnLoadTest, PicksTheLeastLoadedPerWeight) {
  LeastConnections policy(4);
  EXPECT_EQ(policy.choose(GetParam().candidates, 0), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(Table, LeastConnLoadTest, testing::ValuesIn(kLoadCases),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(LeastConnTest, EqualLoadsRotate) {
  LeastConnections policy(3);
  const std::vector<Candidate> busy{{0, kFull, 2}, {1, kFull, 2}, {2, kFull, 2}};
  EXPECT_EQ(sequence(policy, busy, 6), "012012");
}

TEST(LeastConnTest, OnlyTheLeastLoadedRotate) {
  LeastConnections policy(3);
  const std::vector<Candidate> candidates{{0, kFull, 1}, {1, kFull, 0}, {2, kFull, 0}};
  EXPECT_EQ(sequence(policy, candidates, 6), "121212");
}

TEST(LeastConnTest, WeightsHoldWhenEveryLoadIsZero) {
  LeastConnections policy(2);
  const std::vector<Candidate> candidates{{0, 3 * kFull, 0}, {1, kFull, 0}};
  EXPECT_EQ(tally(policy, candidates, 400), (std::map<size_t, int>{{0, 300}, {1, 100}}));
}

TEST(Random2Test, SpreadsEvenlyOverEqualBackends) {
  PowerOfTwoChoices policy(42);
  const auto counts = tally(policy, idle({0, 1, 3, 4}), 10000);  // backend 2 is down
  EXPECT_EQ(counts.count(2), 0u);
  for (const size_t i : {0, 1, 3, 4}) {
    EXPECT_GT(counts.at(i), 2000) << "backend " << i;  // 2500 expected
    EXPECT_LT(counts.at(i), 3000) << "backend " << i;
  }
}

TEST(Random2Test, WeightsSetTheSharesWhenLoadsAreEqual) {
  PowerOfTwoChoices policy(7);
  const std::vector<Candidate> candidates{{0, 3 * kFull, 0}, {1, kFull, 0}};
  const auto counts = tally(policy, candidates, 10000);
  EXPECT_GT(counts.at(0), 7000);  // 7500 expected
  EXPECT_LT(counts.at(0), 8000);
}

TEST(Random2Test, OfTwoCandidatesTakesTheLessLoaded) {
  PowerOfTwoChoices policy(1);
  const std::vector<Candidate> candidates{{0, kFull, 5}, {1, kFull, 0}};
  EXPECT_EQ(tally(policy, candidates, 100), (std::map<size_t, int>{{1, 100}}));
}

TEST(Random2Test, NeverTakesTheMostLoaded) {
  PowerOfTwoChoices policy(3);
  const std::vector<Candidate> candidates{{0, kFull, 0}, {1, kFull, 1}, {2, kFull, 5}};
  const auto counts = tally(policy, candidates, 3000);
  EXPECT_EQ(counts.count(2), 0u);
  EXPECT_GT(counts.at(0), counts.at(1));  // 0 wins every draw it is in: 2 of 3
}

// The backend each of `keys` keys goes to.
std::vector<size_t> assignment(PickPolicy& policy, std::span<const Candidate> candidates,
                               int keys) {
  std::vector<size_t> out;
  for (int i = 0; i < keys; ++i) out.push_back(policy.choose(candidates, key(i)));
  return out;
}

TEST(SourceTest, SameKeyGoesToTheSameBackend) {
  ConsistentHash policy(specs_of({1, 1, 1, 1, 1}));
  const std::vector<Candidate> all = idle({0, 1, 2, 3, 4});
  const std::vector<size_t> first = assignment(policy, all, 1000);
  EXPECT_EQ(assignment(policy, all, 1000), first);
  EXPECT_EQ(std::set<size_t>(first.begin(), first.end()).size(), 5u);
}

TEST(SourceTest, ADeadBackendMovesOnlyItsKeys) {
  ConsistentHash policy(specs_of({1, 1, 1, 1, 1}));
  const std::vector<size_t> before = assignment(policy, idle({0, 1, 2, 3, 4}), 1000);
  const std::vector<size_t> during = assignment(policy, idle({0, 1, 3, 4}), 1000);
  std::set<size_t> moved_to;
  int moved = 0;
  for (size_t k = 0; k < before.size(); ++k) {
    if (before[k] != 2) {
      EXPECT_EQ(during[k], before[k]) << "key " << k << " moved off a live backend";
    } else {
      moved_to.insert(during[k]);
      ++moved;
    }
  }
  EXPECT_GT(moved, 100);           // about 200 expected
  EXPECT_GE(moved_to.size(), 3u);  // spread over the others, not dumped on one
  EXPECT_EQ(moved_to.count(2), 0u);
  EXPECT_EQ(assignment(policy, idle({0, 1, 2, 3, 4}), 1000), before);  // and back it comes
}

TEST(SourceTest, WeightsSetTheShares) {
  ConsistentHash policy(specs_of({3, 1}));
  const auto counts = tally(policy, idle({0, 1}), 10000);
  EXPECT_GT(counts.at(0), 6800);  // 7500 expected
  EXPECT_LT(counts.at(0), 8200);
}

TEST(SourceTest, RingDependsOnNamesNotOnTheirOrder) {
  const std::vector<BackendSpec> specs = specs_of({1, 2, 1});
  const std::vector<BackendSpec> reversed(specs.rbegin(), specs.rend());
  ConsistentHash policy(specs);
  ConsistentHash reversed_policy(reversed);
  for (int i = 0; i < 1000; ++i) {
    const size_t a = policy.choose(idle({0, 1, 2}), key(i));
    const size_t b = reversed_policy.choose(idle({0, 1, 2}), key(i));
    EXPECT_EQ(specs[a].name, reversed[b].name) << "key " << i;
  }
}

TEST(SourceTest, TriedBackendPassesTheKeyOn) {
  ConsistentHash policy(specs_of({1, 1, 1}));
  const size_t sticky = policy.choose(idle({0, 1, 2}), key(5));
  std::vector<size_t> others;
  for (const size_t i : {0, 1, 2}) {
    if (i != sticky) others.push_back(i);
  }
  const size_t next = policy.choose(idle(others), key(5));
  EXPECT_NE(next, sticky);
  EXPECT_EQ(policy.choose(idle(others), key(5)), next);  // the failover target is stable too
}

common::Address address(const char* text) {
  auto parsed = common::parse_address(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return *parsed;
}

TEST(AffinityKeyTest, HashesTheAddressNotThePort) {
  EXPECT_EQ(affinity_key(address("10.1.2.3:1111")), affinity_key(address("10.1.2.3:2222")));
  EXPECT_NE(affinity_key(address("10.1.2.3:1111")), affinity_key(address("10.1.2.4:1111")));
  EXPECT_EQ(affinity_key(address("[::1]:1")), affinity_key(address("[::1]:2")));
  EXPECT_NE(affinity_key(address("[::1]:1")), affinity_key(address("[::2]:1")));
}

TEST(AffinityKeyTest, MappedIpv6IsTheSameClientAsIpv4) {
  EXPECT_EQ(affinity_key(address("[::ffff:10.1.2.3]:80")), affinity_key(address("10.1.2.3:80")));
}

// Keys must not change between builds or runs, or a restart would move every client. The values
// are FNV-1a 64 (offset basis 0xcbf29ce484222325 for "") through MurmurHash3's fmix64, computed
// by an independent implementation.
TEST(AffinityKeyTest, IsStable) {
  EXPECT_EQ(stable_hash(""), 0xefd01f60ba992926u);
  EXPECT_EQ(affinity_key(address("127.0.0.1:9")), 0xe2b8dcd14d0de18au);  // bytes 127 0 0 1
}

}  // namespace
}  // namespace lb

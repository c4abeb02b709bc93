#include "load_balancer/backend_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace lb {
namespace {

// Backends on 127.0.0.1 ports 1.. with the given weights; rise and fall of 1 so that one check
// flips a backend.
BackendPool make_pool(const std::vector<int>& weights) {
  std::string list;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (i > 0) list += ',';
    list += "127.0.0.1:" + std::to_string(i + 1) + "@" + std::to_string(weights[i]);
  }
  auto specs = parse_backend_list(list);
  EXPECT_TRUE(specs.ok()) << specs.error().message;
  return BackendPool(std::move(*specs), Thresholds{1, 1});
}

// The index of each of `n` picks, spelled as digits: "0123".
std::string picks(BackendPool& pool, int n, const Tried& tried = {}) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    const Backend* backend = pool.pick(tried);
    if (backend == nullptr) {
      out += '-';
      continue;
    }
    for (size_t j = 0; j < pool.size(); ++j) {
      if (&pool.at(j) == backend) out += static_cast<char>('0' + j);
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
  pool.at(1).record_check(false, "test");
  EXPECT_EQ(pool.up_count(), 3u);
  const std::string down_one = picks(pool, 300);
  EXPECT_EQ(counts(down_one), (std::map<char, int>{{'0', 100}, {'2', 100}, {'3', 100}}));
}

TEST(BackendPoolTest, RoundRobinFollowsChangingUpSets) {
  BackendPool pool = make_pool({1, 1, 1});
  pool.at(0).mark_down("test");
  EXPECT_EQ(picks(pool, 6).find('0'), std::string::npos);
  pool.at(2).record_check(false, "test");
  EXPECT_EQ(picks(pool, 4), "1111");
  pool.at(0).record_check(true, "test");
  pool.at(2).record_check(true, "test");
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
  pool.at(0).record_check(false, "test");
  EXPECT_EQ(counts(picks(pool, 300)), (std::map<char, int>{{'1', 100}, {'2', 200}}));
}

TEST(BackendPoolTest, SkipsBackendsAlreadyTried) {
  BackendPool pool = make_pool({1, 1, 1});
  const Tried tried{&pool.at(0), &pool.at(2)};
  EXPECT_EQ(picks(pool, 5, tried), "11111");
  const Tried all{&pool.at(0), &pool.at(1), &pool.at(2)};
  EXPECT_EQ(pool.pick(all), nullptr);
}

TEST(BackendPoolTest, TriedAndDownTogetherCanLeaveNone) {
  BackendPool pool = make_pool({1, 1});
  pool.at(1).mark_down("test");
  EXPECT_EQ(pool.pick({&pool.at(0)}), nullptr);
  EXPECT_EQ(pool.pick(), &pool.at(0));
}

TEST(BackendPoolTest, NoneUpGivesNothingUntilOneComesBack) {
  BackendPool pool = make_pool({1, 1});
  pool.at(0).record_check(false, "test");
  pool.at(1).mark_down("test");
  EXPECT_EQ(pool.up_count(), 0u);
  EXPECT_EQ(picks(pool, 3), "---");
  pool.at(1).record_check(true, "test");
  EXPECT_EQ(picks(pool, 3), "111");
}

class RecordingPolicy final : public PickPolicy {
 public:
  size_t choose(std::span<const size_t> candidates) override {
    seen.assign(candidates.begin(), candidates.end());
    return candidates.back();
  }
  std::vector<size_t> seen;
};

TEST(BackendPoolTest, PolicyChoosesAmongCandidatesOnly) {
  auto specs = parse_backend_list("127.0.0.1:1,127.0.0.1:2,127.0.0.1:3,127.0.0.1:4");
  ASSERT_TRUE(specs.ok());
  auto policy = std::make_unique<RecordingPolicy>();
  RecordingPolicy& recording = *policy;
  BackendPool pool(std::move(*specs), Thresholds{1, 1}, std::move(policy));
  pool.at(1).mark_down("test");
  EXPECT_EQ(pool.pick({&pool.at(3)}), &pool.at(2));
  EXPECT_EQ(recording.seen, (std::vector<size_t>{0, 2}));
}

// Connection threads pick while health checks flip backends; run under -DSANITIZE=thread.
TEST(BackendPoolTest, ConcurrentPicksWhileStatesChange) {
  BackendPool pool = make_pool({1, 2, 3});
  std::vector<std::thread> pickers;
  std::atomic<int> missing{0};
  for (int t = 0; t < 4; ++t) {
    pickers.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        if (pool.pick() == nullptr) ++missing;  // backend 0 is always up
      }
    });
  }
  for (int i = 0; i < 100; ++i) {  // each flip logs a line: keep them few
    pool.at(1).record_check(i % 2 == 0, "test");
    pool.at(2).mark_down("test");
    pool.at(2).record_check(true, "test");
  }
  for (std::thread& picker : pickers) picker.join();
  EXPECT_EQ(missing.load(), 0);
}

}  // namespace
}  // namespace lb

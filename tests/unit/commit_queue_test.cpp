#include "web_server/store/commit_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "tests/unit/net_test_support.hpp"

namespace web::store {
namespace {

using namespace std::chrono_literals;

struct Item : CommitQueue::Entry {
  int id = 0;
  bool committed = false;
};

// A queue whose first commit waits until `behind` more entries have queued, so that what the
// later batches hold does not depend on scheduling. Records every batch as the ids it held.
class HeldQueue {
 public:
  HeldQueue(uint64_t behind, BatchLimits limits)
      : behind_(behind),
        base_(detail::commit_stats().queued),
        queue_([this](const CommitQueue::Batch& batch) { commit(batch); }, limits) {}

  // Submits `count` items of `bytes` each: the first alone, the rest from threads of their own
  // once the first is being committed.
  void run(int count, size_t bytes) {
    items_ = std::vector<Item>(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
      items_[static_cast<size_t>(i)].id = i;
      items_[static_cast<size_t>(i)].bytes = bytes;
    }
    std::vector<std::thread> threads;
    threads.emplace_back([this] { submit(items_[0]); });
    ASSERT_TRUE(net_test::eventually([this] { return holding_.load(); }));
    for (size_t i = 1; i < items_.size(); ++i) {
      threads.emplace_back([this, i] { submit(items_[i]); });
    }
    for (std::thread& thread : threads) thread.join();
  }

  std::vector<std::vector<int>> batches() const {
    const std::lock_guard lock(mutex_);
    return batches_;
  }

 private:
  void submit(Item& item) {
    queue_.submit(item);
    // Returning means committed, also for a leader whose own entry missed the batch it led.
    if (!item.committed) ADD_FAILURE() << "item " << item.id << " returned uncommitted";
  }

  void commit(const CommitQueue::Batch& batch) {
    if (!holding_.exchange(true)) {
      EXPECT_TRUE(net_test::eventually(
          [this] { return detail::commit_stats().queued >= base_ + behind_; }, 60s));
    }
    std::vector<int> ids;
    for (CommitQueue::Entry* entry : batch) {
      auto& item = static_cast<Item&>(*entry);
      item.committed = true;
      ids.push_back(item.id);
    }
    const std::lock_guard lock(mutex_);
    batches_.push_back(std::move(ids));
  }

  const uint64_t behind_;
  const uint64_t base_;
  std::atomic<bool> holding_{false};
  std::vector<Item> items_;
  mutable std::mutex mutex_;
  std::vector<std::vector<int>> batches_;
  CommitQueue queue_;
};

TEST(CommitQueueTest, EntriesQueuedDuringACommitShareTheNextOne) {
  const auto before = detail::commit_stats();
  HeldQueue queue(7, BatchLimits{});
  queue.run(8, 10);
  const auto batches = queue.batches();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0], std::vector<int>{0});
  EXPECT_EQ(std::set<int>(batches[1].begin(), batches[1].end()),
            (std::set<int>{1, 2, 3, 4, 5, 6, 7}));
  const auto after = detail::commit_stats();
  EXPECT_EQ(after.batches - before.batches, 2u);
  EXPECT_EQ(after.entries - before.entries, 8u);
}

struct LimitCase {
  const char* name;
  BatchLimits limits;
  size_t bytes;               // of each entry
  std::vector<size_t> sizes;  // of the batches, in commit order
};

class CommitQueueLimitTest : public testing::TestWithParam<LimitCase> {};

TEST_P(CommitQueueLimitTest, BatchesStayWithinTheLimits) {
  const LimitCase& c = GetParam();
  HeldQueue queue(9, c.limits);
  queue.run(10, c.bytes);
  std::vector<size_t> sizes;
  std::set<int> ids;
  for (const auto& batch : queue.batches()) {
    sizes.push_back(batch.size());
    ids.insert(batch.begin(), batch.end());
  }
  EXPECT_EQ(sizes, c.sizes);
  EXPECT_EQ(ids.size(), 10u);  // each committed once
}

INSTANTIATE_TEST_SUITE_P(
    Limits, CommitQueueLimitTest,
    testing::Values(
        LimitCase{"ByCount", {4, 1000}, 10, {1, 4, 4, 1}},
        LimitCase{"ByBytes", {100, 25}, 10, {1, 2, 2, 2, 2, 1}},
        LimitCase{"OversizedEntryStillCommitsAlone", {100, 5}, 10, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
        LimitCase{"OneAtATime", {1, 1000}, 10, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}}),
    [](const testing::TestParamInfo<LimitCase>& param) { return std::string(param.param.name); });

}  // namespace
}  // namespace web::store

// Group commit: writers that arrive while a commit is running queue up, and the first of them to
// find no commit running (the leader) takes the whole queue and commits it as one batch, so one
// fsync makes many writes durable; the others sleep until theirs is done. Throughput then grows
// with the number of concurrent writers instead of staying at one write per fsync.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <vector>

namespace web::store {

// Bounds on one batch, so that one transaction neither holds the write lock nor grows the WAL
// without limit. A batch holds at least one entry, whatever its size.
struct BatchLimits {
  size_t max_entries = 256;
  size_t max_bytes = 4 * 1024 * 1024;
};

class CommitQueue {
 public:
  // One queued write; the caller derives its request (what to write, what became of it) from it.
  struct Entry {
    size_t bytes = 0;  // counted against BatchLimits::max_bytes

   private:
    friend class CommitQueue;
    bool done_ = false;
  };
  using Batch = std::vector<Entry*>;  // in queue order
  // Commits a batch and records each entry's outcome in it; runs on the leader's thread, one
  // batch at a time, in queue order. Must not throw: the queue would stall.
  using Commit = std::function<void(const Batch&)>;

  explicit CommitQueue(Commit commit, BatchLimits limits = BatchLimits{});

  // Blocks until a batch holding `entry` has been committed, by this thread or another.
  void submit(Entry& entry);
  // Queues `entries` together, in order, and blocks until all are committed (batches keep queue
  // order, so they commit in as few batches as the limits allow).
  void submit(std::span<Entry* const> entries);

 private:
  void lead(std::unique_lock<std::mutex>& lock) noexcept;
  Batch take();

  const Commit commit_;
  const BatchLimits limits_;
  std::mutex mutex_;  // guards everything below
  std::condition_variable finished_;
  std::deque<Entry*> queue_;
  bool committing_ = false;
};

namespace detail {

// Process-wide counts over every CommitQueue, for tests and metrics.
struct CommitStats {
  uint64_t batches = 0;  // commits run
  uint64_t entries = 0;  // entries they held
  uint64_t queued = 0;   // entries waiting now for a leader to take them
};
CommitStats commit_stats();

}  // namespace detail
}  // namespace web::store

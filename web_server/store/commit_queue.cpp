#include "web_server/store/commit_queue.hpp"

#include <atomic>
#include <utility>

namespace web::store {

namespace {

std::atomic<uint64_t> g_batches{0};
std::atomic<uint64_t> g_entries{0};
std::atomic<uint64_t> g_queued{0};

}  // namespace

CommitQueue::CommitQueue(Commit commit, BatchLimits limits)
    : commit_(std::move(commit)), limits_(limits) {}

void CommitQueue::submit(Entry& entry) {
  Entry* const one[] = {&entry};
  submit(one);
}

void CommitQueue::submit(std::span<Entry* const> entries) {
  if (entries.empty()) return;
  std::unique_lock lock(mutex_);
  queue_.insert(queue_.end(), entries.begin(), entries.end());
  g_queued.fetch_add(entries.size());
  // Batches are taken in queue order, so the last entry done means all are. A leader's own
  // entries may not fit in the batch it takes (a long queue): it then leads again.
  const Entry& last = *entries.back();
  while (!last.done_) {
    if (committing_) {
      finished_.wait(lock);
    } else {
      lead(lock);
    }
  }
}

// noexcept: a commit that threw would leave committing_ set and every writer asleep for good;
// terminating says so at once.
void CommitQueue::lead(std::unique_lock<std::mutex>& lock) noexcept {
  committing_ = true;
  const Batch batch = take();
  lock.unlock();
  commit_(batch);
  g_batches.fetch_add(1);
  g_entries.fetch_add(batch.size());
  lock.lock();
  for (Entry* done : batch) done->done_ = true;
  committing_ = false;
  finished_.notify_all();
}

CommitQueue::Batch CommitQueue::take() {
  Batch batch;
  size_t bytes = 0;
  while (!queue_.empty() && batch.size() < limits_.max_entries) {
    Entry* next = queue_.front();
    if (!batch.empty() && bytes + next->bytes > limits_.max_bytes) break;
    bytes += next->bytes;
    batch.push_back(next);
    queue_.pop_front();
  }
  g_queued.fetch_sub(batch.size());
  return batch;
}

namespace detail {

CommitStats commit_stats() { return {g_batches.load(), g_entries.load(), g_queued.load()}; }

}  // namespace detail
}  // namespace web::store

// Hands the changes the store commits to every outbound link, without ever blocking the
// committing thread: each link has a bounded queue, and a queue that overflows is emptied and
// flagged, so that its link catches up from the store's change log instead (nothing is lost: the
// log has every key's current change). Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "common/socket.hpp"
#include "web_server/store/store.hpp"

namespace web::replication {

// Bounds of one link's queue.
struct FeedLimits {
  size_t max_changes = 4096;
  size_t max_bytes = 16 * 1024 * 1024;  // keys + values queued
};

class ChangeFeed {
 public:
  using Limits = FeedLimits;

  struct Batch {
    std::vector<store::Change> changes;
    bool overflowed = false;  // changes were dropped: catch up from the store
    bool closed = false;      // close() was called
  };

  // One link session's queue.
  class Subscription {
   public:
    explicit Subscription(Limits limits) : limits_(limits) {}
    // Waits up to `timeout` for changes (or overflow, or close) and takes everything queued.
    Batch take(common::Millis timeout);
    void close();  // wakes take(); may be called from any thread

   private:
    friend class ChangeFeed;
    void push(const store::Change& change);

    const Limits limits_;
    std::mutex mutex_;
    std::condition_variable ready_;
    Batch queued_;
    size_t queued_bytes_ = 0;
  };

  explicit ChangeFeed(Limits limits = Limits{}) : limits_(limits) {}

  // Changes published from now on reach the subscription until it is destroyed.
  std::shared_ptr<Subscription> subscribe();
  void publish(const store::Change& change);  // the store's listener

 private:
  const Limits limits_;
  std::mutex mutex_;
  std::vector<std::weak_ptr<Subscription>> subscriptions_;
};

}  // namespace web::replication

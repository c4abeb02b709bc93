// The fan-out of store changes to /live subscribers. The store's listener publishes each change
// that won (became its key's current version); every subscriber has a bounded queue, and one
// that falls behind is cut off rather than ever making the writer wait. Thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/fd.hpp"
#include "web_server/store/version.hpp"

namespace web::live {

struct Limits {
  size_t max_subscribers = 1000;
  size_t max_queued_messages = 1024;           // per subscriber
  size_t max_queued_bytes = 16 * 1024 * 1024;  // per subscriber
};

using Message = std::shared_ptr<const std::string>;  // one JSON text, shared by all queues

// One subscriber's queue; its eventfd is readable while messages (or the overflow) wait.
class Queue {
 public:
  Queue();  // an eventfd that cannot be created leaves fd() at -1 (see Hub::subscribe)
  int fd() const { return event_.get(); }

  struct Taken {
    std::vector<Message> messages;
    bool overflowed = false;  // messages were lost: the subscriber must be closed
  };
  // Everything queued so far; clears the eventfd. Called by the subscriber's thread.
  Taken take();

 private:
  friend class Hub;
  bool push(const Message& message, const Limits& limits);  // false: it overflowed now
  void wake();

  common::Fd event_;
  std::mutex mutex_;
  std::deque<Message> messages_;
  size_t bytes_ = 0;
  bool overflowed_ = false;
};

class Hub;

// A subscription for as long as it lives; the destructor unsubscribes.
class Subscription {
 public:
  Subscription(Hub& hub, std::shared_ptr<Queue> queue) : hub_(hub), queue_(std::move(queue)) {}
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  Queue& queue() { return *queue_; }

 private:
  Hub& hub_;
  std::shared_ptr<Queue> queue_;
};

class Hub {
 public:
  explicit Hub(Limits limits = {}) : limits_(limits) {}

  // The store listener: queues the change's JSON (kv_json.hpp) for every subscriber if `won`.
  // Never blocks on a subscriber; one whose queue is full is marked overflowed and dropped.
  void publish(const store::Change& change, bool won);

  // Null when max_subscribers are subscribed already, or no eventfd could be made.
  std::unique_ptr<Subscription> subscribe();
  size_t subscribers() const;

 private:
  friend class Subscription;
  void unsubscribe(const Queue* queue);

  const Limits limits_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Queue>> queues_;
};

}  // namespace web::live

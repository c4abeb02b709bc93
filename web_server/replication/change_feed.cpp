#include "web_server/replication/change_feed.hpp"

#include <algorithm>

namespace web::replication {

namespace {
size_t bytes_of(const store::Change& change) {
  return change.key.size() + (change.value ? change.value->size() : 0);
}
}  // namespace

ChangeFeed::Batch ChangeFeed::Subscription::take(common::Millis timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout, [this] {
    return !queued_.changes.empty() || queued_.overflowed || queued_.closed;
  });
  Batch out = std::move(queued_);
  queued_ = Batch{};
  queued_.closed = out.closed;
  queued_bytes_ = 0;
  return out;
}

void ChangeFeed::Subscription::close() {
  std::lock_guard lock(mutex_);
  queued_.closed = true;
  ready_.notify_all();
}

void ChangeFeed::Subscription::push(const store::Change& change) {
  std::lock_guard lock(mutex_);
  if (queued_.closed || queued_.overflowed) return;
  if (queued_.changes.size() >= limits_.max_changes ||
      queued_bytes_ + bytes_of(change) > limits_.max_bytes) {
    queued_.changes.clear();
    queued_bytes_ = 0;
    queued_.overflowed = true;
  } else {
    queued_.changes.push_back(change);
    queued_bytes_ += bytes_of(change);
  }
  ready_.notify_all();
}

std::shared_ptr<ChangeFeed::Subscription> ChangeFeed::subscribe() {
  auto subscription = std::make_shared<Subscription>(limits_);
  std::lock_guard lock(mutex_);
  std::erase_if(subscriptions_, [](const auto& weak) { return weak.expired(); });
  subscriptions_.push_back(subscription);
  return subscription;
}

void ChangeFeed::publish(const store::Change& change) {
  std::lock_guard lock(mutex_);
  for (const auto& weak : subscriptions_) {
    if (auto subscription = weak.lock()) subscription->push(change);
  }
}

}  // namespace web::replication

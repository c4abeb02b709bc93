#include "web_server/live/hub.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "web_server/kv_json.hpp"

namespace web::live {

Queue::Queue() : event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

void Queue::wake() {
  const uint64_t one = 1;
  // EAGAIN means the counter is already nonzero, i.e. already readable: nothing more to do.
  while (::write(event_.get(), &one, sizeof one) < 0 && errno == EINTR) {
  }
}

bool Queue::push(const Message& message, const Limits& limits) {
  const std::lock_guard lock(mutex_);
  if (messages_.size() + 1 > limits.max_queued_messages ||
      bytes_ + message->size() > limits.max_queued_bytes) {
    overflowed_ = true;
    messages_.clear();  // they will never be sent: free them now
    bytes_ = 0;
    wake();
    return false;
  }
  messages_.push_back(message);
  bytes_ += message->size();
  wake();
  return true;
}

Queue::Taken Queue::take() {
  uint64_t count = 0;
  while (::read(event_.get(), &count, sizeof count) < 0 && errno == EINTR) {
  }
  const std::lock_guard lock(mutex_);
  Taken taken;
  taken.messages.assign(messages_.begin(), messages_.end());
  taken.overflowed = overflowed_;
  messages_.clear();
  bytes_ = 0;
  return taken;
}

Subscription::~Subscription() { hub_.unsubscribe(queue_.get()); }

void Hub::publish(const store::Change& change, bool won) {
  if (!won || subscribers() == 0) return;
  const std::optional<std::string_view> value =
      change.value ? std::optional<std::string_view>(*change.value) : std::nullopt;
  // Encoded once, outside the lock, for every subscriber.
  const auto message =
      std::make_shared<const std::string>(entry_json(change.key, value, change.version));
  const std::lock_guard lock(mutex_);
  // An overflowed queue gets nothing more; its subscriber closes and unsubscribes.
  std::erase_if(queues_, [&](const std::shared_ptr<Queue>& queue) {
    return !queue->push(message, limits_);
  });
}

std::unique_ptr<Subscription> Hub::subscribe() {
  auto queue = std::make_shared<Queue>();
  if (queue->fd() < 0) return nullptr;
  const std::lock_guard lock(mutex_);
  if (queues_.size() >= limits_.max_subscribers) return nullptr;
  queues_.push_back(queue);
  return std::make_unique<Subscription>(*this, std::move(queue));
}

size_t Hub::subscribers() const {
  const std::lock_guard lock(mutex_);
  return queues_.size();
}

void Hub::unsubscribe(const Queue* queue) {
  const std::lock_guard lock(mutex_);
  std::erase_if(queues_, [queue](const std::shared_ptr<Queue>& q) { return q.get() == queue; });
}

}  // namespace web::live

#include "load_balancer/upstream_pool.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <string>

namespace lb {

namespace {

using Clock = std::chrono::steady_clock;

// Checking a pooled connection costs a syscall on every request. A replayable request skips it
// on a connection idle for less than this: a backend rarely closes a connection it answered on
// so recently (idle timeouts are seconds to minutes), and when it did (it restarted), the
// request finds the connection closed without an answer and is replayed on a new one.
constexpr auto kUncheckedIdle = std::chrono::seconds(1);

// An idle keep-alive connection has nothing to read. A readable one was closed by the backend
// (EOF), reset, or carries bytes that answer no request: none of them may carry the next one.
bool still_idle(const common::Fd& fd) {
  char byte = 0;
  const ssize_t n = recv(fd.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

std::shared_ptr<IdleList> UpstreamPool::list_of(const Backend& backend) {
  std::lock_guard lock(mutex_);
  std::shared_ptr<IdleList>& list = lists_[backend.name()];
  if (!list) list = std::make_shared<IdleList>();
  return list;
}

common::Fd UpstreamPool::take(const Backend& backend, bool replayable) {
  if (!backend.takes_new()) {
    clear(backend);
    return {};
  }
  const std::shared_ptr<IdleList> held = list_of(backend);
  IdleList& list = *held;
  const auto now = Clock::now();
  for (;;) {
    IdleConnection newest;
    {
      std::lock_guard lock(list.mutex);
      if (list.idle.empty()) return {};
      newest = std::move(list.idle.back());
      list.idle.pop_back();
    }
    if (now - newest.since > options_.max_idle_time) {
      clear(backend);  // the rest are older still
      return {};
    }
    if (replayable && now - newest.since < kUncheckedIdle) return std::move(newest.fd);
    // A stale connection is closed here, outside the lock, and the next newest one is tried.
    if (still_idle(newest.fd)) return std::move(newest.fd);
  }
}

void UpstreamPool::put(const Backend& backend, common::Fd fd) {
  if (!backend.takes_new() || options_.max_idle_per_backend == 0) return;
  const std::shared_ptr<IdleList> held = list_of(backend);
  IdleList& list = *held;
  IdleConnection evicted;  // closed after the lock is released
  std::lock_guard lock(list.mutex);
  if (list.idle.size() >= options_.max_idle_per_backend) {
    evicted = std::move(list.idle.front());
    list.idle.erase(list.idle.begin());
  }
  list.idle.push_back({std::move(fd), Clock::now()});
}

void UpstreamPool::clear(const Backend& backend) {
  std::shared_ptr<IdleList> list;
  {
    std::lock_guard lock(mutex_);
    const auto found = lists_.find(backend.name());
    if (found == lists_.end()) return;
    list = std::move(found->second);
    lists_.erase(found);
  }
  std::vector<IdleConnection> closing;  // closed after the lock is released
  std::lock_guard lock(list->mutex);
  closing.swap(list->idle);
}

size_t UpstreamPool::idle_count(const Backend& backend) const {
  std::shared_ptr<IdleList> list;
  {
    std::lock_guard lock(mutex_);
    const auto found = lists_.find(backend.name());
    if (found == lists_.end()) return 0;
    list = found->second;
  }
  std::lock_guard lock(list->mutex);
  return list->idle.size();
}

common::Result<Lease> lease_upstream(BackendPool& pool, UpstreamPool* idle, Tried& tried,
                                     const LeaseOptions& options) {
  std::string last_failure;
  while (std::shared_ptr<Backend> backend = pool.pick(tried, options.affinity)) {
    if (idle != nullptr && !options.fresh) {
      if (common::Fd fd = idle->take(*backend, options.replayable))
        return Lease{std::move(backend), std::move(fd), true};
    }
    auto fd = common::connect_tcp(backend->address(), options.connect_timeout);
    if (!fd) {
      last_failure = fd.error().message;
      backend->mark_down(last_failure);
      tried.push_back(backend);
      continue;
    }
    if (options.io_timeout > common::Millis::zero()) {
      if (auto s = common::set_io_timeouts(*fd, options.io_timeout, options.io_timeout); !s) {
        return s.error();
      }
    }
    return Lease{std::move(backend), std::move(*fd), false};
  }
  if (tried.empty()) return common::Error{common::Errc::refused, "no backend is up"};
  if (last_failure.empty()) return common::Error{common::Errc::refused, "no backend left to try"};
  return common::Error{common::Errc::refused,
                       "no backend left to try (last: " + last_failure + ")"};
}

}  // namespace lb

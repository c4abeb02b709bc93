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

struct IdleConnection {
  common::Fd fd;
  Clock::time_point since;
};

// An idle keep-alive connection has nothing to read. A readable one was closed by the backend
// (EOF), reset, or carries bytes that answer no request: none of them may carry the next one.
bool still_idle(const common::Fd& fd) {
  char byte = 0;
  const ssize_t n = recv(fd.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

struct UpstreamPool::Slot {
  std::mutex mutex;
  std::vector<IdleConnection> idle;  // oldest first; guarded by mutex
};

UpstreamPool::UpstreamPool(BackendPool& backends, Options options) : options_(options) {
  for (size_t i = 0; i < backends.size(); ++i) {
    auto slot = std::make_unique<Slot>();
    slot->idle.reserve(std::min<size_t>(options_.max_idle_per_backend, 64));
    slots_.emplace_back(&backends.at(i), std::move(slot));
  }
}

UpstreamPool::~UpstreamPool() = default;

UpstreamPool::Slot* UpstreamPool::slot(const Backend& backend) const {
  for (const auto& [owner, slot] : slots_) {
    if (owner == &backend) return slot.get();
  }
  return nullptr;
}

common::Fd UpstreamPool::take(const Backend& backend) {
  Slot* s = slot(backend);
  if (s == nullptr) return {};
  if (!backend.is_up()) {
    clear(backend);
    return {};
  }
  const auto now = Clock::now();
  for (;;) {
    IdleConnection newest;
    {
      std::lock_guard lock(s->mutex);
      if (s->idle.empty()) return {};
      newest = std::move(s->idle.back());
      s->idle.pop_back();
    }
    if (now - newest.since > options_.max_idle_time) {
      clear(backend);  // the rest are older still
      return {};
    }
    // A stale connection is closed here, outside the lock, and the next newest one is tried.
    if (still_idle(newest.fd)) return std::move(newest.fd);
  }
}

void UpstreamPool::put(const Backend& backend, common::Fd fd) {
  Slot* s = slot(backend);
  if (s == nullptr || !backend.is_up() || options_.max_idle_per_backend == 0) return;
  IdleConnection evicted;  // closed after the lock is released
  std::lock_guard lock(s->mutex);
  if (s->idle.size() >= options_.max_idle_per_backend) {
    evicted = std::move(s->idle.front());
    s->idle.erase(s->idle.begin());
  }
  s->idle.push_back({std::move(fd), Clock::now()});
}

void UpstreamPool::clear(const Backend& backend) {
  Slot* s = slot(backend);
  if (s == nullptr) return;
  std::vector<IdleConnection> closing;  // closed after the lock is released
  std::lock_guard lock(s->mutex);
  closing.swap(s->idle);
  s->idle.reserve(closing.capacity());
}

size_t UpstreamPool::idle_count(const Backend& backend) const {
  Slot* s = slot(backend);
  if (s == nullptr) return 0;
  std::lock_guard lock(s->mutex);
  return s->idle.size();
}

common::Result<Lease> lease_upstream(BackendPool& pool, UpstreamPool& idle, Tried& tried,
                                     const LeaseOptions& options) {
  std::string last_failure;
  while (Backend* backend = pool.pick(tried, options.affinity)) {
    if (!options.fresh) {
      if (common::Fd fd = idle.take(*backend)) return Lease{backend, std::move(fd), true};
    }
    auto fd = common::connect_tcp(backend->address(), options.connect_timeout);
    if (!fd) {
      last_failure = fd.error().message;
      backend->mark_down(last_failure);
      tried.push_back(backend);
      continue;
    }
    if (auto s = common::set_io_timeouts(*fd, options.io_timeout, options.io_timeout); !s) {
      return s.error();
    }
    return Lease{backend, std::move(*fd), false};
  }
  if (tried.empty()) return common::Error{common::Errc::refused, "no backend is up"};
  if (last_failure.empty()) return common::Error{common::Errc::refused, "no backend left to try"};
  return common::Error{common::Errc::refused,
                       "no backend left to try (last: " + last_failure + ")"};
}

}  // namespace lb

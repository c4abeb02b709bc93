#include "common/drain.hpp"

#include <sys/socket.h>

namespace common {

Drain::Session::Session(Drain* drain, const common::Fd& client) : drain_(drain), client_(client) {
  if (drain_ == nullptr) return;
  std::lock_guard lock(drain_->mutex_);
  drain_->sessions_.insert(this);
}

Drain::Session::~Session() {
  if (drain_ == nullptr) return;
  std::lock_guard lock(drain_->mutex_);
  drain_->sessions_.erase(this);
}

bool Drain::Session::wait_next() {
  if (drain_ == nullptr) return true;
  idle_.store(true);
  return !drain_->draining_.load();
}

void Drain::Session::busy() {
  if (drain_ != nullptr) idle_.store(false);
}

void Drain::begin() {
  draining_.store(true);
  std::lock_guard lock(mutex_);
  for (Session* session : sessions_) {
    // A request that arrives at this very moment may lose the race and see the end of the
    // stream: that is the usual keep-alive race, which clients handle by retrying.
    if (session->idle_.load()) ::shutdown(session->client_.get(), SHUT_RD);
  }
}

}  // namespace common

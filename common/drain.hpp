// The graceful end of a server's HTTP connections when it shuts down (the balancer's sessions,
// web_server's connections). Once begin() is called, every
// session closes after the request it is serving (its response says "Connection: close"), and
// sessions idle between two requests are woken and close at once. A session still waiting for
// its first request is left alone: it was accepted (perhaps just now, from the accept backlog)
// and its client is about to send that request, which is then served.
#pragma once

#include <atomic>
#include <mutex>
#include <unordered_set>

#include "common/fd.hpp"

namespace common {

class Drain {
 public:
  // One client connection, registered for its lifetime. `drain` may be nullptr: never drains.
  class Session {
   public:
    Session(Drain* drain, const common::Fd& client);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Before waiting for the next request of a kept-alive connection: false when the drain has
    // begun (close now); otherwise the session counts as idle until busy().
    bool wait_next();
    void busy();  // a byte of a request arrived
    bool draining() const { return drain_ != nullptr && drain_->draining(); }

   private:
    friend class Drain;
    Drain* const drain_;
    const common::Fd& client_;
    std::atomic<bool> idle_{false};
  };

  Drain() = default;
  Drain(const Drain&) = delete;
  Drain& operator=(const Drain&) = delete;

  // Thread-safe, idempotent. Idle sessions are woken by shutdown(SHUT_RD) on their socket.
  void begin();
  bool draining() const { return draining_.load(); }

 private:
  std::mutex mutex_;
  std::unordered_set<Session*> sessions_;  // guarded by mutex_
  // Both flags use sequentially consistent order: a session that turns idle while the drain
  // begins either sees draining_ set, or is seen idle (and woken) by begin().
  std::atomic<bool> draining_{false};
};

}  // namespace common

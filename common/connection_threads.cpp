#include "common/connection_threads.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/log.hpp"

namespace common {

struct ConnectionThreads::State {
  State(const Fd& listen_fd, Options opts, Serve serve_fn)
      : listener(listen_fd), options(opts), serve(std::move(serve_fn)) {
    auto local = local_address(listener);
    name = local ? local->to_string() : "listener";
  }

  const Fd& listener;
  const Options options;
  const Serve serve;
  std::string name;  // the listening address, for logs

  std::mutex mutex;
  std::condition_variable changed;  // a count below changed, or a thread exited
  std::vector<pthread_t> exited;    // threads that returned and still need a join
  size_t alive = 0;                 // threads created and not yet exited
  size_t waiting = 0;               // threads in accept()
  std::unordered_set<int> open;     // descriptors of the connections being served
  bool stopping = false;            // no thread enters accept() again
  bool shut = false;                // the listener was shut down

  // Kept open so that, out of descriptors, there is one to give back: accept the pending
  // connection and close it at once, rather than leave it to spin the accept loop.
  std::mutex spare_mutex;
  Fd spare{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
  std::atomic<bool> shedding{false};  // log once per burst of descriptor exhaustion

  struct Start {
    State* state;
    Accepted first;  // a connection to serve before waiting in accept(), if any
  };
  static void* thread_main(void* arg) {
    std::unique_ptr<Start> start(static_cast<Start*>(arg));
    start->state->work_loop(std::move(start->first));
    return nullptr;
  }

  Status spawn(Accepted first);
  bool serve_on_new_thread(Accepted connection);
  void work_loop(Accepted first);
  void start_next_waiter(std::unique_lock<std::mutex>& lock);
  bool keep_waiting(const Accepted& failed, std::unique_lock<std::mutex>& lock);
  void shed_one();
  void shut_listener(std::unique_lock<std::mutex>& lock);
};

namespace {

void join_all(const std::vector<pthread_t>& threads) {
  for (pthread_t thread : threads) pthread_join(thread, nullptr);
}

bool timed_out(const Accepted& failed) { return failed.err == EAGAIN || failed.err == EWOULDBLOCK; }

}  // namespace

// Starts a thread already counted in `alive` (and `first` in `open`); undoes both when none could
// be created.
Status ConnectionThreads::State::spawn(Accepted first) {
  // std::thread cannot choose its stack size; with thousands of connections it matters.
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, options.stack_bytes);
  auto start = std::make_unique<Start>(Start{this, std::move(first)});
  pthread_t thread;
  const int err = pthread_create(&thread, &attr, thread_main, start.get());
  pthread_attr_destroy(&attr);
  if (err == 0) {
    start.release();  // the new thread owns it now
    return Ok{};
  }
  std::lock_guard lock(mutex);
  --alive;
  // Unregistered before `start` closes it (the lock is released first).
  if (start->first.fd.valid()) open.erase(start->first.fd.get());
  changed.notify_all();
  return sys_error("pthread_create for " + name, err);
}

void ConnectionThreads::State::work_loop(Accepted first) {
  Accepted connection = std::move(first);  // if any, registered in `open` already
  std::unique_lock lock(mutex);
  for (;;) {
    if (connection.outcome == AcceptOutcome::accepted) {
      lock.unlock();
      serve(connection);
      lock.lock();
      // Unregistered before it is closed (outside the lock, below): once closed, its number may
      // be reused by a new connection that shutdown_serving() must not touch by mistake.
      open.erase(connection.fd.get());
      if (open.empty()) changed.notify_all();
    }
    if (stopping) break;
    ++waiting;
    lock.unlock();
    connection.fd.reset();
    connection = accept_connection(listener);
    lock.lock();
    --waiting;
    if (waiting == 0) changed.notify_all();
    if (connection.outcome == AcceptOutcome::accepted) {
      open.insert(connection.fd.get());
      if (shedding.load(std::memory_order_relaxed)) shedding = false;
      start_next_waiter(lock);
    } else if (!keep_waiting(connection, lock)) {
      break;
    }
  }
  // Still under the lock: the owner joins this thread only after seeing it in `exited`.
  --alive;
  exited.push_back(pthread_self());
  changed.notify_all();
}

// After an accept, with nobody else waiting: starts the next waiter now, so that the next
// connection does not wait for this one to end. Called and returns under the lock.
void ConnectionThreads::State::start_next_waiter(std::unique_lock<std::mutex>& lock) {
  if (waiting > 0 || stopping || alive >= options.max_threads) return;
  ++alive;
  std::vector<pthread_t> to_join;
  to_join.swap(exited);
  lock.unlock();
  join_all(to_join);  // threads that waited too long and left: their join is quick
  if (auto s = spawn({}); !s) log(s.error().message, "; the next connection waits");
  lock.lock();
}

// After a failed accept(): whether this thread waits again. Called and returns under the lock.
bool ConnectionThreads::State::keep_waiting(const Accepted& failed,
                                            std::unique_lock<std::mutex>& lock) {
  switch (failed.outcome) {
    case AcceptOutcome::accepted:
    case AcceptOutcome::retry:
      // A park_time without a connection: this thread goes if another one still waits.
      return !timed_out(failed) || (!stopping && waiting == 0);
    case AcceptOutcome::out_of_descriptors:
      if (!shedding.exchange(true)) {
        log("accept ", name, ": ", std::strerror(failed.err), "; shedding connections");
      }
      lock.unlock();
      shed_one();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      lock.lock();
      return true;
    case AcceptOutcome::stopped:
      return false;
    case AcceptOutcome::fatal:
      log("accept ", name, ": ", std::strerror(failed.err));
      return false;
  }
  return false;
}

void ConnectionThreads::State::shed_one() {
  std::unique_lock lock(spare_mutex, std::try_to_lock);
  if (!lock.owns_lock()) return;  // another thread is giving the spare back already
  // accept() fails for want of a descriptor whether or not a connection is queued; only a
  // queued one is taken (the listener is blocking, and another thread may take it first, in
  // which case this wait ends at the listener's SO_RCVTIMEO). Its descriptor is closed at once,
  // which gives the number back.
  pollfd queued{listener.get(), POLLIN, 0};
  if (::poll(&queued, 1, 10) != 1) return;
  spare.reset();
  accept_connection(listener);
  spare.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
}

// Blocks while max_threads threads are alive. False if no thread could be created.
bool ConnectionThreads::State::serve_on_new_thread(Accepted connection) {
  const int fd = connection.fd.get();
  {
    std::unique_lock lock(mutex);
    changed.wait(lock, [this] { return alive < options.max_threads; });
    ++alive;
    open.insert(fd);  // now, so that a drain that starts next counts it
  }
  const auto peer = connection.peer.to_string();
  if (auto started = spawn(std::move(connection)); !started) {
    log(started.error().message, "; connection from ", peer, " dropped");
    return false;
  }
  return true;
}

// shutdown() on a listener resets its backlog and makes every accept() on it return EINVAL: the
// only way to wake threads blocked in accept() (closing the descriptor does not, and its number
// could be reused under them).
void ConnectionThreads::State::shut_listener(std::unique_lock<std::mutex>& lock) {
  stopping = true;
  if (!shut) {
    shut = true;
    ::shutdown(listener.get(), SHUT_RD);
  }
  changed.wait(lock, [this] { return waiting == 0; });
}

ConnectionThreads::ConnectionThreads(const Fd& listener, Options options, Serve serve) {
  options.max_threads = std::max<size_t>(options.max_threads, 1);
  options.stack_bytes = std::max<size_t>(options.stack_bytes, PTHREAD_STACK_MIN);
  // accept() honours SO_RCVTIMEO: it is what ends a parked thread's wait.
  if (auto s = set_io_timeouts(listener, options.park_time, Millis{0}); !s) {
    log(s.error().message);
  }
  state_ = std::make_shared<State>(listener, options, std::move(serve));
}

ConnectionThreads::~ConnectionThreads() {
  State& s = *state_;
  std::vector<pthread_t> to_join;
  {
    std::unique_lock lock(s.mutex);
    s.shut_listener(lock);
    s.changed.wait(lock, [&s] { return s.open.empty() && s.alive == 0; });
    to_join.swap(s.exited);
  }
  join_all(to_join);
}

Status ConnectionThreads::start() {
  {
    std::lock_guard lock(state_->mutex);
    ++state_->alive;
  }
  return state_->spawn({});
}

void ConnectionThreads::stop_accepting() {
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  if (s.shut) return;
  s.stopping = true;
  // The connections already queued were told the connect succeeded: each gets a thread. The
  // listener turns non-blocking for this; threads already in accept() keep waiting, and any of
  // them may take one of these connections too.
  lock.unlock();
  if (::fcntl(s.listener.get(), F_SETFL, O_NONBLOCK) == 0) {
    for (;;) {
      Accepted queued = accept_connection(s.listener);
      if (queued.outcome == AcceptOutcome::accepted) {
        if (!s.serve_on_new_thread(std::move(queued))) break;
      } else if (queued.outcome != AcceptOutcome::retry || timed_out(queued)) {
        break;  // the backlog is empty (or accept fails for good: nothing more to take)
      }
    }
  }
  lock.lock();
  s.shut_listener(lock);
}

size_t ConnectionThreads::serving() const {
  std::lock_guard lock(state_->mutex);
  return state_->open.size();
}

void ConnectionThreads::shutdown_serving(int how) {
  // Under the lock: a connection is unregistered before its descriptor is closed.
  std::lock_guard lock(state_->mutex);
  for (int fd : state_->open) ::shutdown(fd, how);
}

bool ConnectionThreads::wait_idle(Millis timeout) {
  std::unique_lock lock(state_->mutex);
  return state_->changed.wait_for(lock, timeout, [this] { return state_->open.empty(); });
}

size_t ConnectionThreads::threads() const {
  std::lock_guard lock(state_->mutex);
  return state_->alive;
}

}  // namespace common

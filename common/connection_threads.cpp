#include "common/connection_threads.hpp"

#include <pthread.h>

#include <algorithm>
#include <climits>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace common {

// Tasks handed to parked threads wait in `handoff`; run() queues one only while more threads are
// parked than tasks are queued, so every queued task has a thread that will take it.
struct ConnectionThreads::State {
  Options options;
  std::mutex mutex;
  std::condition_variable work;   // parked threads wait here for a task or for stopping
  std::condition_variable slots;  // run() and the destructor wait here for a task to end
  std::deque<std::function<void()>> handoff;
  std::vector<pthread_t> exited;  // threads that returned and still need a join
  size_t running = 0;             // tasks accepted by run() and not yet finished
  size_t alive = 0;               // threads created and not yet exited
  size_t parked = 0;
  bool stopping = false;

  // What a new thread receives: its owner and its first task.
  struct Start {
    State* state;
    std::function<void()> task;
  };
  static void* thread_main(void* arg) {
    std::unique_ptr<Start> start(static_cast<Start*>(arg));
    start->state->work_loop(std::move(start->task));
    return nullptr;
  }
  // Starts a thread for a task already counted in `running` and `alive`; undoes the counts
  // when no thread could be created.
  bool spawn(std::function<void()> task);
  void work_loop(std::function<void()> task);
};

namespace {

void join_all(const std::vector<pthread_t>& threads) {
  for (pthread_t thread : threads) pthread_join(thread, nullptr);
}

}  // namespace

bool ConnectionThreads::State::spawn(std::function<void()> task) {
  // std::thread cannot choose its stack size; with thousands of connections it matters.
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, options.stack_bytes);
  auto start = std::make_unique<Start>(Start{this, std::move(task)});
  pthread_t thread;
  const int err = pthread_create(&thread, &attr, thread_main, start.get());
  pthread_attr_destroy(&attr);
  if (err == 0) {
    start.release();  // the new thread owns it now
    return true;
  }
  std::lock_guard lock(mutex);
  --running;
  --alive;
  slots.notify_all();
  return false;
}

void ConnectionThreads::State::work_loop(std::function<void()> task) {
  const auto park_time = options.park_time;
  std::unique_lock lock(mutex, std::defer_lock);
  for (;;) {
    task();
    task = nullptr;  // what the task captured (a connection) is released before parking
    lock.lock();
    --running;
    ++parked;
    slots.notify_all();
    work.wait_for(lock, park_time, [this] { return !handoff.empty() || stopping; });
    --parked;
    if (handoff.empty()) break;  // parked too long, or the owner is stopping
    task = std::move(handoff.front());
    handoff.pop_front();
    lock.unlock();
  }
  // Still under the lock: the owner joins this thread only after seeing it in `exited`.
  --alive;
  exited.push_back(pthread_self());
  slots.notify_all();
}

ConnectionThreads::ConnectionThreads(Options options) : state_(std::make_shared<State>()) {
  options.max_threads = std::max<size_t>(options.max_threads, 1);
  options.stack_bytes = std::max<size_t>(options.stack_bytes, PTHREAD_STACK_MIN);
  state_->options = options;
}

ConnectionThreads::~ConnectionThreads() {
  State& s = *state_;
  std::vector<pthread_t> to_join;
  {
    std::unique_lock lock(s.mutex);
    s.stopping = true;
    s.work.notify_all();
    s.slots.wait(lock, [&s] { return s.running == 0 && s.alive == 0; });
    to_join.swap(s.exited);
  }
  join_all(to_join);
}

bool ConnectionThreads::run(std::function<void()> task) {
  State& s = *state_;
  std::vector<pthread_t> to_join;
  bool handed_off = false;
  {
    std::unique_lock lock(s.mutex);
    s.slots.wait(lock, [&s] { return s.running < s.options.max_threads; });
    ++s.running;
    to_join.swap(s.exited);
    handed_off = s.parked > s.handoff.size();
    if (handed_off) {
      s.handoff.push_back(std::move(task));
      s.work.notify_one();
    } else {
      ++s.alive;
    }
  }
  join_all(to_join);  // threads that parked too long: their join is quick, outside the lock
  return handed_off || s.spawn(std::move(task));
}

size_t ConnectionThreads::running() const {
  std::lock_guard lock(state_->mutex);
  return state_->running;
}

size_t ConnectionThreads::threads() const {
  std::lock_guard lock(state_->mutex);
  return state_->alive;
}

}  // namespace common

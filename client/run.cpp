#include "client/run.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <latch>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include "client/worker.hpp"
#include "client/ws_worker.hpp"

namespace client {

namespace {

// Lets the calling thread wait for the workers with a timeout, to show progress meanwhile.
class Completion {
 public:
  void one_done() {
    {
      std::lock_guard lock(mutex_);
      ++done_;
    }
    changed_.notify_one();
  }
  // True once `total` workers are done; false if `timeout` passed first.
  bool wait(size_t total, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done_ == total; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  size_t done_ = 0;
};

Target make_target(const Options& options, const common::Address& address) {
  Target target;
  target.address = address;
  target.request = build_request(options.request);
  target.keys = RequestKeys::of(target.request, options.key_space);
  target.method = options.request.method;
  target.keep_alive = options.request.keep_alive;
  target.timeout = options.timeout;
  target.ok_status = options.ok_status;
  return target;
}

WsTarget make_ws_target(const Options& options, const common::Address& address) {
  WsTarget target;
  target.address = address;
  target.handshake = options.request;
  target.message_size = options.message_size;
  target.timeout = options.timeout;
  return target;
}

Progress snapshot(const std::vector<LiveCounters>& live, Clock::time_point start) {
  Progress p;
  for (const LiveCounters& c : live) {
    p.done += c.done.load(std::memory_order_relaxed);
    p.errors += c.errors.load(std::memory_order_relaxed);
  }
  p.elapsed = Clock::now() - start;
  return p;
}

// Everything the worker threads share; it outlives them. WorkerT (Worker or WsWorker) is built
// from a TargetT and LiveCounters and has run(Plan&) and stats().
template <class TargetT, class WorkerT>
struct Crew {
  Crew(TargetT t, size_t concurrency) : target(std::move(t)), live(concurrency) {
    for (LiveCounters& counters : live) workers.emplace_back(target, counters);
  }
  const TargetT target;
  std::vector<LiveCounters> live;
  std::deque<WorkerT> workers;  // a deque: a worker never moves once its thread has it
  std::optional<Plan> plan;     // made once every thread exists, so thread start-up is not
                                // counted against the schedule
  std::latch go{1};
  Completion completion;
};

// Starts one thread per worker, each waiting for crew.go; returns "" or why one failed.
template <class CrewT>
std::string start_threads(CrewT& crew, std::vector<std::jthread>& threads) {
  threads.reserve(crew.workers.size());
  for (auto& worker : crew.workers) {
    try {
      threads.emplace_back([&crew, &worker] {
        crew.go.wait();
        worker.run(*crew.plan);
        crew.completion.one_done();
      });
    } catch (const std::system_error& e) {
      return "start thread " + std::to_string(threads.size() + 1) + " of " +
             std::to_string(crew.workers.size()) + ": " + e.what();
    }
  }
  return {};
}

template <class WorkerT, class TargetT>
common::Result<RunResult> run_crew(TargetT target, const Options& options,
                                   const ProgressCallback& on_progress,
                                   std::chrono::milliseconds interval) {
  Crew<TargetT, WorkerT> crew(std::move(target), options.concurrency);
  std::string start_error;
  {
    std::vector<std::jthread> threads;  // joined when this scope ends, on every path
    start_error = start_threads(crew, threads);
    const Clock::time_point start = Clock::now();
    crew.plan.emplace(options.plan, start);
    if (!start_error.empty()) crew.plan->stop();
    crew.go.count_down();
    while (start_error.empty() && !crew.completion.wait(threads.size(), interval)) {
      if (on_progress) on_progress(snapshot(crew.live, start));
    }
  }
  if (!start_error.empty()) return common::Error{common::Errc::io_error, start_error};

  RunResult result;
  const auto measured = Clock::now() - crew.plan->measure_start();
  result.duration_s = std::max(0.0, std::chrono::duration<double>(measured).count());
  for (const WorkerT& worker : crew.workers) result.stats.merge(worker.stats());
  return result;
}

}  // namespace

common::Result<RunResult> run(const Options& options, const common::Address& address,
                              const ProgressCallback& on_progress,
                              std::chrono::milliseconds interval) {
  if (options.websocket) {
    return run_crew<WsWorker>(make_ws_target(options, address), options, on_progress, interval);
  }
  return run_crew<Worker>(make_target(options, address), options, on_progress, interval);
}

}  // namespace client

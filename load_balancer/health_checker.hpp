// Active health checks: one thread per backend, so that a backend that hangs delays only its own
// checks. Each result goes to Backend::record_check, whose rise/fall state decides (and logs)
// when the backend goes down or comes back.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "common/result.hpp"
#include "common/socket.hpp"
#include "load_balancer/backend.hpp"
#include "load_balancer/backend_pool.hpp"

namespace lb {

enum class CheckKind {
  tcp,   // the connect succeeds
  http,  // GET /health answers 2xx
};

struct HealthCheckOptions {
  CheckKind kind = CheckKind::tcp;
  common::Millis interval{500};  // from the start of one check to the start of the next
  common::Millis timeout{1000};  // bounds one whole check: connect, request and response head
};

// One check of one backend. On success, what passed ("connect 127.0.0.1:8081 ok",
// "GET /health on 127.0.0.1:8081: 200"); on failure, why, e.g. "GET /health on
// 127.0.0.1:8081: status 503" or "connect 127.0.0.1:8081: Connection refused". A stop request
// cuts the wait for a response short (the connect is bounded by options.timeout alone).
common::Result<std::string> probe(const Backend& backend, const HealthCheckOptions& options,
                                  std::stop_token stop = {});

class HealthChecker {
 public:
  // Starts checking every backend of `pool` at once. Each thread holds its backend, so the
  // pool may change (and even go) while the checker runs.
  HealthChecker(const BackendPool& pool, HealthCheckOptions options);
  ~HealthChecker();  // stop()
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // Thread-safe. Starts checking a backend added at run time (not after stop()).
  void add(std::shared_ptr<Backend> backend);
  // Thread-safe. Stops checking `backend` (removed at run time) and joins its thread, which
  // takes at most options.timeout (a connect in progress is not cut short).
  void remove(const Backend& backend);
  // Ends every checker thread and joins them: waits between checks end at once, and so do
  // checks waiting for a response (a connect in progress within options.timeout). Idempotent.
  void stop();

 private:
  struct Checked {
    std::shared_ptr<Backend> backend;
    std::jthread thread;
  };
  void start(std::shared_ptr<Backend> backend);  // under control_
  void run(std::stop_token stop, Backend& backend);

  const HealthCheckOptions options_;
  std::mutex mutex_;  // only for wake_: the threads share no other state
  std::condition_variable_any wake_;
  std::mutex control_;  // serialises add, remove and stop; guards checked_ and stopped_
  bool stopped_ = false;
  std::vector<Checked> checked_;  // last: joined before the members they use go
};

}  // namespace lb

// The clients of a nemesis run: threads that PUT (a unique value per request, "w<client>-<n>",
// so every value read names the one op that wrote it) and DELETE keys of a small key space on
// random servers, each request bounded by a timeout, every request recorded in the History.
// After each acknowledged PUT the same thread GETs the key from the same server, for the
// read-your-write check. Threads are joined by stop() or the destructor.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/history.hpp"

namespace harness {

struct WorkloadOptions {
  size_t clients = 4;
  size_t keys = 16;
  bool deletes = true;  // a third of the writes are DELETEs
  std::chrono::milliseconds timeout{3000};
  uint64_t seed = 1;
};

// "k00", "k01", ... the keys a workload writes.
std::vector<std::string> workload_keys(size_t count);

class Workload {
 public:
  // Starts the clients at once against `servers` (HTTP addresses, index = server number).
  Workload(std::vector<std::string> servers, History& history, WorkloadOptions options);
  ~Workload() { stop(); }
  void stop();

 private:
  void client(size_t id, std::stop_token stop);

  const std::vector<std::string> servers_;
  History& history_;
  const WorkloadOptions options_;
  const std::vector<std::string> keys_;
  std::vector<std::jthread> threads_;
};

}  // namespace harness

// Drops the tombstones that are stable: every interval, on its own thread, Store::compact with
// what `prove` says may go (replication's proof on a server with peers, alone() without).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

#include "common/socket.hpp"
#include "web_server/store/store.hpp"

namespace web::store {

class Compactor {
 public:
  using Prove = std::function<std::optional<Compaction>()>;  // nullopt: nothing proved yet

  // Starts the thread; the first pass runs one interval after.
  Compactor(Store& store, common::Millis interval, Prove prove);
  ~Compactor();  // stops and joins the thread
  Compactor(const Compactor&) = delete;
  Compactor& operator=(const Compactor&) = delete;

  // What a server that replicates to nobody may always drop: it is everyone, and nothing older
  // than its clock can arrive.
  static Compaction alone(const Store& store);

  struct Totals {
    uint64_t passes = 0;
    uint64_t horizon = 0;     // of the last pass that had one
    uint64_t tombstones = 0;  // dropped
  };
  Totals totals() const;  // thread-safe

 private:
  void run(std::stop_token stop);
  void pass();

  Store& store_;
  const common::Millis interval_;
  const Prove prove_;
  mutable std::mutex mutex_;  // guards totals_ and the wait
  std::condition_variable_any wake_;
  Totals totals_;
  std::jthread thread_;  // last: it uses everything above
};

}  // namespace web::store

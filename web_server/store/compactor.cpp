#include "web_server/store/compactor.hpp"

#include <utility>

#include "common/log.hpp"

namespace web::store {

Compactor::Compactor(Store& store, common::Millis interval, Prove prove)
    : store_(store),
      interval_(interval),
      prove_(std::move(prove)),
      thread_([this](std::stop_token stop) { run(stop); }) {}

Compactor::~Compactor() {
  thread_.request_stop();
  thread_.join();
}

Compaction Compactor::alone(const Store& store) {
  return Compaction{store.summary(), store.promise().hlc};
}

Compactor::Totals Compactor::totals() const {
  const std::lock_guard lock(mutex_);
  return totals_;
}

void Compactor::run(std::stop_token stop) {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, stop, interval_, [] { return false; });
    }
    if (stop.stop_requested()) return;
    pass();
  }
}

void Compactor::pass() {
  const std::optional<Compaction> proved = prove_();
  if (!proved) return;
  const auto result = store_.compact(*proved);
  if (!result) {
    common::log("store: compaction: ", result.error().message);
    return;
  }
  const std::lock_guard lock(mutex_);
  ++totals_.passes;
  if (proved->horizon > 0) totals_.horizon = proved->horizon;
  totals_.tombstones += *result;
}

}  // namespace web::store

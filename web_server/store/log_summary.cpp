#include "web_server/store/log_summary.hpp"

namespace web::store {

void LogSummary::add(OriginId origin, uint64_t seq) {
  const std::lock_guard lock(mutex_);
  OriginLog& log = logs_[origin];
  if (seq <= log.contiguous) return;
  if (seq != log.contiguous + 1) {
    log.ahead.insert(seq);
    return;
  }
  log.contiguous = seq;
  while (!log.ahead.empty() && *log.ahead.begin() == log.contiguous + 1) {
    log.contiguous = *log.ahead.begin();
    log.ahead.erase(log.ahead.begin());
  }
}

Summary LogSummary::contiguous() const {
  const std::lock_guard lock(mutex_);
  Summary summary;
  for (const auto& [origin, log] : logs_) summary.emplace_hint(summary.end(), origin, log.contiguous);
  return summary;
}

}  // namespace web::store

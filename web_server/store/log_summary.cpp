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
  log.absorb();
}

void LogSummary::advance(OriginId origin, uint64_t upto) {
  const std::lock_guard lock(mutex_);
  OriginLog& log = logs_[origin];
  if (upto <= log.contiguous) return;
  log.contiguous = upto;
  log.ahead.erase(log.ahead.begin(), log.ahead.upper_bound(upto));
  log.absorb();
}

bool LogSummary::has(OriginId origin, uint64_t seq) const {
  const std::lock_guard lock(mutex_);
  const auto it = logs_.find(origin);
  if (it == logs_.end()) return false;
  return seq <= it->second.contiguous || it->second.ahead.contains(seq);
}

void LogSummary::OriginLog::absorb() {
  while (!ahead.empty() && *ahead.begin() == contiguous + 1) {
    contiguous = *ahead.begin();
    ahead.erase(ahead.begin());
  }
}

Summary LogSummary::contiguous() const {
  const std::lock_guard lock(mutex_);
  Summary summary;
  for (const auto& [origin, log] : logs_) summary.emplace_hint(summary.end(), origin, log.contiguous);
  return summary;
}

}  // namespace web::store

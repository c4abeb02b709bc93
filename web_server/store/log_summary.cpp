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
  if (upto == 0) return;
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

uint64_t LogSummary::contiguous(OriginId origin) const {
  const std::lock_guard lock(mutex_);
  const auto it = logs_.find(origin);
  return it == logs_.end() ? 0 : it->second.contiguous;
}

uint64_t LogSummary::contiguous_after(OriginId origin, const std::vector<uint64_t>& seqs,
                                      uint64_t skip_to) const {
  const std::lock_guard lock(mutex_);
  const auto it = logs_.find(origin);
  OriginLog log = it == logs_.end() ? OriginLog{} : it->second;
  if (skip_to > log.contiguous) {
    log.contiguous = skip_to;
    log.ahead.erase(log.ahead.begin(), log.ahead.upper_bound(skip_to));
  }
  for (const uint64_t seq : seqs) {
    if (seq > log.contiguous) log.ahead.insert(seq);
  }
  log.absorb();
  return log.contiguous;
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
  for (const auto& [origin, log] : logs_)
    summary.emplace_hint(summary.end(), origin, log.contiguous);
  return summary;
}

}  // namespace web::store

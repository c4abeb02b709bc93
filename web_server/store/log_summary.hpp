// What the change log holds of each origin, kept in memory so that summary() (which replication
// asks for often) costs a map copy instead of a query: the highest contiguous seq per origin, and
// the seqs that arrived past a gap, until the gap fills.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>

#include "web_server/store/store.hpp"

namespace web::store {

class LogSummary {
 public:
  void add(OriginId origin, uint64_t seq);  // thread-safe
  // Thread-safe: every seq of `origin` up to `upto` counts as held (a compacted or skipped
  // stretch of the log: the server has its effect without its rows).
  void advance(OriginId origin, uint64_t upto);
  bool has(OriginId origin, uint64_t seq) const;  // thread-safe
  Summary contiguous() const;                     // thread-safe

 private:
  struct OriginLog {
    uint64_t contiguous = 0;
    std::set<uint64_t> ahead;  // seqs > contiguous + 1
    void absorb();             // moves contiguous past the ahead seqs that now follow it
  };
  mutable std::mutex mutex_;
  std::map<OriginId, OriginLog> logs_;
};

}  // namespace web::store

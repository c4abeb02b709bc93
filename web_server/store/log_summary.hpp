// What this server holds of each origin's changes, kept in memory so that summary() (which
// replication asks for often) costs a map copy instead of a query: the highest contiguous seq per
// origin, and the seqs that arrived past a gap, until the gap fills.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "web_server/store/store.hpp"

namespace web::store {

class LogSummary {
 public:
  void add(OriginId origin, uint64_t seq);  // thread-safe
  // Thread-safe: every seq of `origin` up to `upto` counts as held (a stretch a catch-up
  // skipped: its changes were superseded, the server has their effect without them).
  void advance(OriginId origin, uint64_t upto);
  bool has(OriginId origin, uint64_t seq) const;  // thread-safe
  uint64_t contiguous(OriginId origin) const;     // thread-safe
  // Thread-safe: what contiguous() would say of `origin` after advance(origin, skip_to) and
  // add(origin, seq) for each of `seqs`, without doing either.
  uint64_t contiguous_after(OriginId origin, const std::vector<uint64_t>& seqs,
                            uint64_t skip_to) const;
  Summary contiguous() const;  // thread-safe

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

#include "load_balancer/proxy_stats.hpp"

namespace lb {

void ProxyStats::record_error(int status) {
  for (size_t i = 0; i < kStatuses.size(); ++i) {
    if (kStatuses[i] == status) errors_[i].fetch_add(1, std::memory_order_relaxed);
  }
}

uint64_t ProxyStats::errors(int status) const {
  for (size_t i = 0; i < kStatuses.size(); ++i) {
    if (kStatuses[i] == status) return errors_[i].load(std::memory_order_relaxed);
  }
  return 0;
}

}  // namespace lb

#include "load_balancer/upstream.hpp"

#include <string>

namespace lb {

common::Result<Upstream> connect_upstream(BackendPool& pool, Tried& tried,
                                          common::Millis connect_timeout, uint64_t affinity) {
  std::string last_failure;
  while (std::shared_ptr<Backend> backend = pool.pick(tried, affinity)) {
    auto fd = common::connect_tcp(backend->address(), connect_timeout);
    if (fd) return Upstream{std::move(backend), std::move(*fd)};
    last_failure = fd.error().message;
    backend->mark_down(last_failure);
    tried.push_back(backend);
  }
  if (last_failure.empty()) return common::Error{common::Errc::refused, "no backend is up"};
  return common::Error{common::Errc::refused,
                       "no backend left to try (last: " + last_failure + ")"};
}

}  // namespace lb

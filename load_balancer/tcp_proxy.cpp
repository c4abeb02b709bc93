#include "load_balancer/tcp_proxy.hpp"

#include <string>

#include "common/log.hpp"
#include "common/relay.hpp"
#include "load_balancer/upstream_pool.hpp"

namespace lb {

void serve_tcp_session(const common::Fd& client, const common::Address& peer, BackendPool& pool,
                       const TcpProxyOptions& options) {
  Tried tried;
  auto upstream = lease_upstream(pool, nullptr, tried,
                                 {.connect_timeout = options.connect_timeout,
                                  .io_timeout = common::Millis::zero(),
                                  .affinity = affinity_key(peer)});
  if (!upstream) {
    common::log("client ", peer.to_string(), ": closing: ", upstream.error().message);
    return;
  }
  const Backend::Session session(*upstream->backend);
  upstream->backend->stats().record_connection();
  // A reset or timeout mid-stream is the peers' business: the relay has passed on what it could,
  // and closing both sockets is the whole reaction.
  const std::string client_name = peer.to_string();
  (void)common::relay(client, upstream->fd,
                      {.a_name = client_name, .b_name = upstream->backend->name()});
}

}  // namespace lb

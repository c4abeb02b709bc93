#include "load_balancer/balancer.hpp"

#include <sys/socket.h>

#include "common/log.hpp"
#include "load_balancer/tcp_proxy.hpp"

namespace lb {

namespace {

// The per-connection entry point for the configured mode.
common::TcpServer::Handler session_handler(const Config& config, BackendPool& pool) {
  switch (config.mode) {
    case Mode::tcp:
      return [&pool, options = TcpProxyOptions{config.connect_timeout}](
                 const common::Fd& client, const common::Address& peer) {
        serve_tcp_session(client, peer, pool, options);
      };
  }
  return {};  // unreachable: every mode has a case above
}

}  // namespace

Balancer::Balancer(const Config& config)
    : config_(config), pool_(config.backends, config.thresholds) {}

Balancer::~Balancer() = default;

common::Result<std::unique_ptr<Balancer>> Balancer::open(const Config& config) {
  std::unique_ptr<Balancer> balancer(new Balancer(config));
  common::TcpServer::Options options;
  options.listen = config.listen;
  options.max_connections = config.max_connections;
  auto server = common::TcpServer::open(options, session_handler(config, balancer->pool_));
  if (!server) return server.error();
  balancer->server_ = std::move(*server);
  balancer->checker_ = std::make_unique<HealthChecker>(balancer->pool_, config.health);
  return balancer;
}

common::Address Balancer::local_address() const { return server_->local_address(); }

void Balancer::serve() { server_->serve(); }

bool Balancer::shutdown() {
  server_->stop();
  const size_t open = server_->open_connections();
  if (open > 0) {
    common::log("shutting down: waiting up to ", config_.drain_timeout.count(), "ms for ", open,
                " open connections");
  }
  const bool drained = server_->wait_idle(config_.drain_timeout);
  if (!drained) {
    common::log("drain timeout passed: closing ", server_->open_connections(), " connections");
    server_->shutdown_connections(SHUT_RDWR);
  }
  checker_->stop();
  return drained;
}

}  // namespace lb

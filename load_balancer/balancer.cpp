#include "load_balancer/balancer.hpp"

#include <sys/socket.h>

#include "common/log.hpp"
#include "load_balancer/http_proxy.hpp"
#include "load_balancer/tcp_proxy.hpp"

namespace lb {

// The per-connection entry point for the configured mode.
common::TcpServer::Handler Balancer::session_handler() {
  switch (config_.mode) {
    case Mode::tcp:
      return [this, options = TcpProxyOptions{config_.connect_timeout}](
                 const common::Fd& client, const common::Address& peer) {
        serve_tcp_session(client, peer, pool_, options);
      };
    case Mode::http:
      return [this](const common::Fd& client, const common::Address& peer) {
        serve_http_session(client, peer, pool_, upstreams_, http_options_);
      };
  }
  return {};  // unreachable: every mode has a case above
}

Balancer::Balancer(const Config& config)
    : config_(config),
      pool_(config.backends, config.thresholds, make_policy(config.balance, config.backends),
            config.slow_start),
      upstreams_(pool_, config.upstream_pool),
      http_options_(config.http) {
  http_options_.connect_timeout = config.connect_timeout;
}

Balancer::~Balancer() = default;

common::Result<std::unique_ptr<Balancer>> Balancer::open(const Config& config) {
  std::unique_ptr<Balancer> balancer(new Balancer(config));
  if (config.mode == Mode::http && !config.access_log.empty()) {
    auto log = AccessLog::open(config.access_log);
    if (!log) return log.error();
    balancer->access_log_ = std::move(*log);
    balancer->http_options_.access_log = balancer->access_log_.get();
  }
  common::TcpServer::Options options;
  options.listen = config.listen;
  options.max_connections = config.max_connections;
  auto server = common::TcpServer::open(options, balancer->session_handler());
  if (!server) return server.error();
  balancer->server_ = std::move(*server);
  balancer->checker_ = std::make_unique<HealthChecker>(balancer->pool_, config.health);
  return balancer;
}

common::Address Balancer::local_address() const { return server_->local_address(); }

void Balancer::serve() { server_->serve(); }

bool Balancer::shutdown() {
  server_->stop();
  // HTTP sessions waiting for a next request end now; a request in flight still finishes.
  if (config_.mode == Mode::http) server_->shutdown_connections(SHUT_RD);
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

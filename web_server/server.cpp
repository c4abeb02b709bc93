#include "web_server/server.hpp"

#include <sys/socket.h>

namespace web {

common::Result<common::Fd> Server::bind(const common::Address& address) {
  // A connection reaches accept() with its request already there (or a second after the
  // handshake, if it sends nothing): the thread that accepts it does not sleep again to read.
  return common::listen_tcp(address, {.defer_accept = std::chrono::seconds(1)});
}

common::Result<std::unique_ptr<Server>> Server::open(Config config) {
  if (!config.listener) {
    auto bound = bind(config.listen);
    if (!bound) return bound.error();
    config.listener = std::move(*bound);
  }
  std::unique_ptr<Server> server(new Server());
  server->limits_ = config.limits;
  Server* self = server.get();
  common::TcpServer::Options options;
  options.max_connections = config.max_connections;
  // The handler runs only after start(), once open() has set everything it reads.
  auto tcp = common::TcpServer::open(std::move(config.listener), options,
                                     [self](const common::Fd& client, const common::Address&) {
                                       serve_connection(client, *self->router_, self->limits_,
                                                        self->drain_);
                                     });
  if (!tcp) return tcp.error();
  server->tcp_ = std::move(*tcp);
  const std::string name =
      config.name.empty() ? server->tcp_->local_address().to_string() : config.name;
  Services services;
  if (config.store != nullptr) {
    server->kv_ = std::make_unique<KvApi>(*config.store, config.quorum);
    server->hub_ = std::make_shared<live::Hub>(config.live);
    config.store->add_listener(
        [hub = server->hub_](const store::Change& change, bool won) { hub->publish(change, won); });
    services = {server->kv_.get(), server->hub_.get()};
  }
  server->router_ = std::make_unique<Router>(name, std::move(config.files), services);
  return server;
}

common::Status Server::start() { return tcp_->start(); }

// Idle keep-alive connections (and WebSockets) are woken by the drain and end now; one whose
// request is arriving, body included, is served and then closed.
void Server::stop() {
  tcp_->stop();
  drain_.begin();
}

size_t Server::open_connections() const { return tcp_->open_connections(); }

void Server::close_connections() { tcp_->shutdown_connections(SHUT_RDWR); }

}  // namespace web

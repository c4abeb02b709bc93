// web_server's server: the accept loop (common::TcpServer, one thread per connection), the
// router it answers with, the KV API and live push over the store, and the graceful end on
// SIGTERM.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/address.hpp"
#include "common/drain.hpp"
#include "common/fd.hpp"
#include "common/result.hpp"
#include "common/socket.hpp"
#include "common/tcp_server.hpp"
#include "web_server/connection.hpp"
#include "web_server/kv_api.hpp"
#include "web_server/live/hub.hpp"
#include "web_server/replication/quorum.hpp"
#include "web_server/router.hpp"
#include "web_server/store/store.hpp"

namespace web {

struct Config {
  common::Address listen;
  // A socket from Server::bind, for a caller that needs the real port of a port-0 `listen` first
  // (main names the default data folder after it); when not valid, open() binds `listen` itself.
  common::Fd listener;
  std::string name;  // X-Backend and the landing page; empty -> the listening address
  std::optional<StaticFiles> files;  // the web app folder, if any
  size_t max_connections = 10000;
  ConnectionLimits limits;
  // The store behind /kv and /live, owned by main and outliving the Server; null: no such routes.
  store::Store* store = nullptr;
  // --sync-replicas, implemented by the replicator (owned by main); null: no replication wait.
  replication::Quorum* quorum = nullptr;
  live::Limits live;
};

class Server {
 public:
  // Binds and listens as the server does; fails with e.g. "bind 127.0.0.1:80: Permission
  // denied". Connections wait in the backlog until start().
  static common::Result<common::Fd> bind(const common::Address& address);
  // Binds (unless config.listener is set) and builds everything start() needs.
  static common::Result<std::unique_ptr<Server>> open(Config config);

  common::Address local_address() const { return tcp_->local_address(); }
  const std::string& name() const { return router_->name(); }

  // Starts accepting on the server's own threads and returns. Fails with the pthread_create
  // error.
  common::Status start();
  // Begins the drain; thread-safe. Takes the connections in the backlog, closes the listener,
  // ends idle keep-alive connections at once, and from now on every response says
  // Connection: close, so that each connection ends after the request it serves.
  void stop();
  size_t open_connections() const;
  void close_connections();  // after the drain: cuts whatever is left

 private:
  Server() = default;
  std::unique_ptr<KvApi> kv_;
  // Shared with the store's listener, which may outlive the Server.
  std::shared_ptr<live::Hub> hub_;
  std::unique_ptr<Router> router_;
  ConnectionLimits limits_;
  common::Drain drain_;
  std::unique_ptr<common::TcpServer> tcp_;  // last: its destructor joins the connection threads
};

}  // namespace web

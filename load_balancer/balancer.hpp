// The balancer as a whole: the backends, their health checks and the listening server, wired
// together, with the handler for each client connection chosen by the mode.
#pragma once

#include <memory>

#include "common/address.hpp"
#include "common/result.hpp"
#include "common/tcp_server.hpp"
#include "load_balancer/backend_pool.hpp"
#include "load_balancer/config.hpp"
#include "load_balancer/health_checker.hpp"
#include "load_balancer/http_proxy.hpp"
#include "load_balancer/upstream_pool.hpp"

namespace lb {

class Balancer {
 public:
  // Binds the listening socket and starts the health checks. Fails with the bind error, e.g.
  // "bind 0.0.0.0:80: Permission denied".
  static common::Result<std::unique_ptr<Balancer>> open(const Config& config);
  ~Balancer();
  Balancer(const Balancer&) = delete;
  Balancer& operator=(const Balancer&) = delete;

  common::Address local_address() const;
  // The accept loop, on the caller's thread; returns once shutdown() has begun.
  void serve();
  // From any other thread: stops accepting, lets open connections finish for up to the drain
  // timeout, shuts the rest down, waits for their threads and stops the health checks. Returns
  // true when every connection finished on its own.
  bool shutdown();

 private:
  explicit Balancer(const Config& config);
  common::TcpServer::Handler session_handler();

  const Config config_;
  BackendPool pool_;
  UpstreamPool upstreams_;                 // idle backend connections (HTTP mode)
  std::unique_ptr<AccessLog> access_log_;  // HTTP mode, when asked for
  HttpProxyOptions http_options_;
  // Destroyed before pool_, which both use: the server joins its connection threads, the
  // checker its checker threads.
  std::unique_ptr<common::TcpServer> server_;
  std::unique_ptr<HealthChecker> checker_;  // started once the server has bound
};

}  // namespace lb

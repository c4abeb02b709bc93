// The balancer as a whole: the backends, their health checks and the listening server, wired
// together, with the handler for each client connection chosen by the mode, and the operations
// side: backends changed at run time, the backends file reloaded, and a shutdown in steps.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/address.hpp"
#include "common/drain.hpp"
#include "common/result.hpp"
#include "common/tcp_server.hpp"
#include "load_balancer/backend_pool.hpp"
#include "load_balancer/config.hpp"
#include "load_balancer/health_checker.hpp"
#include "load_balancer/http_proxy.hpp"
#include "load_balancer/proxy_stats.hpp"
#include "load_balancer/upstream_pool.hpp"

namespace lb {

// How a change asked for at run time went: done, or refused and why (the message says which
// backend and what; it is logged when done).
struct ControlResult {
  enum class Code { ok, not_found, conflict };
  Code code = Code::ok;
  std::string message;
  bool ok() const { return code == Code::ok; }
};

class Balancer {
 public:
  // Binds the listening socket (SO_REUSEPORT: a new process may bind it while this one drains)
  // and starts the health checks. Fails with the bind error, e.g.
  // "bind 0.0.0.0:80: Permission denied". `access_log`, opened by the caller so that a bad
  // --access-log is reported as a bad flag, is written in HTTP mode; null: no access log.
  static common::Result<std::unique_ptr<Balancer>> open(const Config& config,
                                                        std::unique_ptr<AccessLog> access_log);
  ~Balancer();
  Balancer(const Balancer&) = delete;
  Balancer& operator=(const Balancer&) = delete;

  common::Address local_address() const;
  const Config& config() const { return config_; }
  const BackendPool& pool() const { return pool_; }
  const ProxyStats& proxy_stats() const { return stats_; }

  // Starts accepting on the balancer's own threads and returns; connections wait in the backlog
  // until then. Fails with the pthread_create error.
  common::Status start();

  // Run-time changes (admin endpoint, SIGHUP), thread-safe and serialised; each is logged.
  // A new backend is up at once and checked from now on. A removed one gets no new sessions,
  // its checks stop and its idle connections close; sessions using it finish. Draining and
  // disabling keep it in the pool (and checked) without new sessions; enabling undoes both.
  ControlResult add_backend(BackendSpec spec);
  ControlResult remove_backend(std::string_view name);
  ControlResult set_backend_state(std::string_view name, AdminState state);
  // SIGHUP: re-reads --backends-file and applies what changed since the last read (added,
  // removed, reweighed); backends from --backends or the admin endpoint are not touched. A file
  // that does not parse changes nothing: the error is returned (and logged).
  common::Status reload_backends_file();

  // Shutdown, in steps (main.cpp drives them so that a second signal can cut the wait short):
  // stop accepting and begin the drain (HTTP sessions end after their current request; idle
  // keep-alive ones at once), then wait for the open connections, then close what is left.
  void stop_accepting();
  size_t open_connections() const;
  void close_connections();  // SHUT_RDWR on every connection left; stops the health checks

 private:
  explicit Balancer(const Config& config);
  common::TcpServer::Handler session_handler();
  ControlResult add_locked(BackendSpec spec);
  ControlResult remove_locked(std::string_view name);

  const Config config_;
  BackendPool pool_;
  UpstreamPool upstreams_;                 // idle backend connections (HTTP mode)
  std::unique_ptr<AccessLog> access_log_;  // HTTP mode, when asked for
  ProxyStats stats_;
  common::Drain drain_;
  HttpProxyOptions http_options_;
  std::mutex control_;                      // serialises run-time changes; guards file_backends_
  std::vector<BackendSpec> file_backends_;  // as last read from --backends-file
  // Destroyed before the members above, which both use: the server joins its connection
  // threads, the checker its checker threads.
  std::unique_ptr<common::TcpServer> server_;
  std::unique_ptr<HealthChecker> checker_;  // started once the server has bound
};

}  // namespace lb

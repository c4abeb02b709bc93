// The admin endpoint (--admin host:port): a small HTTP server on common::TcpServer, one request
// per connection, serving the dashboard, /events, /stats, /metrics and the /backends controls
// (see routes.hpp), with a sampler thread that takes the per-second samples behind the rates.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/address.hpp"
#include "common/log.hpp"
#include "common/result.hpp"
#include "common/stream.hpp"
#include "common/tcp_server.hpp"
#include "load_balancer/admin/auth.hpp"
#include "load_balancer/admin/sampler.hpp"
#include "load_balancer/balancer.hpp"

namespace lb {

struct AdminOptions {
  std::optional<common::Address> listen;  // none: no admin endpoint
  std::string token;                      // empty: no token required
};

class AdminServer {
 public:
  // Binds and starts serving at once (on threads of its own). `balancer` must outlive it.
  // Fails with the bind error: "bind 127.0.0.1:9090: Address already in use".
  static common::Result<std::unique_ptr<AdminServer>> open(const AdminOptions& options,
                                                           Balancer& balancer);
  ~AdminServer();  // ends open event streams, stops serving and joins every thread
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  common::Address local_address() const { return server_->local_address(); }

 private:
  AdminServer(const AdminOptions& options, Balancer& balancer);
  void serve_connection(const common::Fd& client, const common::Address& peer);
  void stream_events(common::Stream& client);
  void sample_every_second(std::stop_token stop);
  // Waits until the sample after `seen` is taken (returns its number) or the server stops (0).
  uint64_t next_sample(uint64_t seen);

  const AdminOptions options_;
  Balancer& balancer_;
  const std::string page_;
  Sampler sampler_;
  common::LogLimiter refusals_log_{10};  // lines for refused requests, which anyone can send
  std::mutex mutex_;  // guards samples_ and stopping_
  std::condition_variable sampled_;
  uint64_t samples_ = 0;
  bool stopping_ = false;
  std::unique_ptr<common::TcpServer> server_;
  std::jthread sampling_;  // last: stopped and joined first
};

}  // namespace lb

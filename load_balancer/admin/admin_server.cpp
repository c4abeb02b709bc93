#include "load_balancer/admin/admin_server.hpp"

#include <sys/socket.h>

#include "common/log.hpp"
#include "common/transport.hpp"
#include "load_balancer/admin/admin_http.hpp"
#include "load_balancer/admin/assets.hpp"
#include "load_balancer/admin/routes.hpp"
#include "load_balancer/admin/stats_json.hpp"

namespace lb {

namespace {

constexpr common::Millis kRequestTimeout{10000};
constexpr size_t kMaxAdminConnections = 64;  // dashboards and scrapers, not traffic
// A head of the parser's default limit plus the largest body, and the byte that shows a head
// too long.
constexpr size_t kRequestBuffer = common::HttpLimits{}.max_head_bytes + kMaxAdminBody + 1;

constexpr std::string_view kEventStreamHead =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
    "Connection: close\r\n\r\n";

}  // namespace

AdminServer::AdminServer(const AdminOptions& options, Balancer& balancer)
    : options_(options), balancer_(balancer), page_(dashboard_page()) {}

common::Result<std::unique_ptr<AdminServer>> AdminServer::open(const AdminOptions& options,
                                                               Balancer& balancer) {
  std::unique_ptr<AdminServer> admin(new AdminServer(options, balancer));
  common::TcpServer::Options server_options;
  server_options.listen = *options.listen;
  server_options.max_connections = kMaxAdminConnections;
  auto server = common::TcpServer::open(
      server_options, [raw = admin.get()](const common::Fd& client, const common::Address& peer) {
        raw->serve_connection(client, peer);
      });
  if (!server) return server.error();
  admin->server_ = std::move(*server);
  admin->sampler_.sample(balancer.pool().backends(), Sampler::Clock::now());
  if (auto started = admin->server_->start(); !started) return started.error();
  admin->sampling_ =
      std::jthread([raw = admin.get()](std::stop_token stop) { raw->sample_every_second(stop); });
  return admin;
}

AdminServer::~AdminServer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  sampled_.notify_all();
  sampling_ = {};  // requests stop and joins
  server_->stop();
  server_->shutdown_connections(SHUT_RDWR);  // the server's destructor then joins its threads
}

void AdminServer::sample_every_second(std::stop_token stop) {
  auto next = Sampler::Clock::now();
  std::mutex sleep_mutex;
  std::condition_variable_any sleeping;
  while (!stop.stop_requested()) {
    next += std::chrono::seconds(1);
    std::unique_lock sleep_lock(sleep_mutex);
    if (sleeping.wait_until(sleep_lock, stop, next, [] { return false; })) return;
    if (stop.stop_requested()) return;
    sampler_.sample(balancer_.pool().backends(), Sampler::Clock::now());
    {
      std::lock_guard lock(mutex_);
      ++samples_;
    }
    sampled_.notify_all();
  }
}

uint64_t AdminServer::next_sample(uint64_t seen) {
  std::unique_lock lock(mutex_);
  sampled_.wait(lock, [&] { return stopping_ || samples_ != seen; });
  return stopping_ ? 0 : samples_;
}

void AdminServer::serve_connection(const common::Fd& client, const common::Address& peer) {
  common::PlainSocket socket(client);
  if (!socket.set_timeouts(kRequestTimeout, kRequestTimeout)) return;
  common::Stream stream(4096, kRequestBuffer);
  stream.attach(socket, kRequestTimeout);
  AdminRead read = read_admin_request(stream, kRequestTimeout);
  if (read.refusal) {
    (void)stream.write(to_wire(*read.refusal));
    return;
  }
  if (!read.request) return;
  AdminContext context{balancer_, sampler_, options_.token, page_};
  Routed routed = route(*read.request, context);
  if (routed.response.status == 401) {
    common::log_limited(refusals_log_, "admin: ", peer.to_string(), " ", read.request->method, " ",
                        read.request->path, ": 401 (missing or wrong token)");
  }
  if (routed.events) {
    stream_events(stream);
    return;
  }
  (void)stream.write(to_wire(routed.response));
}

// One snapshot at once, then one after each sample, until the client goes or the server stops.
void AdminServer::stream_events(common::Stream& client) {
  if (!client.write(kEventStreamHead)) return;
  uint64_t seen = 0;
  {
    std::lock_guard lock(mutex_);
    seen = samples_;
  }
  do {
    const std::string stats =
        stats_json(balancer_.pool(), balancer_.proxy_stats(), sampler_, /*with_history=*/true);
    if (!client.write({"data: ", stats, "\n\n"})) return;
    seen = next_sample(seen);
  } while (seen != 0);
}

}  // namespace lb

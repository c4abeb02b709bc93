#include "web_server/replication/replicator.hpp"

#include <sys/socket.h>

#include "web_server/replication/inbound_link.hpp"

namespace web::replication {

common::Result<std::unique_ptr<Replicator>> Replicator::open(store::Store& store,
                                                             ReplicatorOptions options) {
  // The handler runs only after start(), when `inbound` below points at the finished object.
  auto inbound = std::make_shared<const InboundContext*>(nullptr);
  auto server = common::TcpServer::open(
      common::TcpServer::Options{.listen = options.listen, .max_connections = 256},
      [inbound](const common::Fd& fd, const common::Address& peer) {
        serve_inbound_link(fd, peer, **inbound);
      });
  if (!server) return server.error();
  std::unique_ptr<Replicator> replicator(
      new Replicator(store, std::move(options), std::move(*server)));
  *inbound = &replicator->inbound_;
  return replicator;
}

Replicator::Replicator(store::Store& store, ReplicatorOptions options,
                       std::unique_ptr<common::TcpServer> server)
    : store_(store),
      options_(std::move(options)),
      inbound_{store, options_.secret, options_.timing},
      peers_(options_.peers),
      server_(std::move(server)) {
  store_.add_listener([feed = feed_](const store::Change& change, bool) { feed->publish(change); });
}

Replicator::~Replicator() { stop(); }

common::Address Replicator::local_address() const { return server_->local_address(); }

void Replicator::start() {
  accepting_ = std::jthread([this] { server_->serve(); });
  const OutboundLink::Context context{store_, *feed_, peers_, options_.secret, options_.timing};
  for (size_t i = 0; i < options_.peers.size(); ++i) {
    links_.push_back(std::make_unique<OutboundLink>(context, i, options_.peers[i]));
  }
  purging_ = std::jthread([this](std::stop_token stop) { purge_loop(stop); });
}

void Replicator::stop() {
  purging_ = std::jthread();  // requests stop and joins
  links_.clear();
  if (accepting_.joinable()) {
    server_->stop();
    accepting_.join();
    server_->shutdown_connections(SHUT_RDWR);
    server_->wait_idle(options_.timing.dead_after);
  }
}

void Replicator::purge_loop(std::stop_token stop) {
  std::unique_lock lock(purge_mutex_);
  while (!stop.stop_requested()) {
    purge_wake_.wait_for(lock, stop, options_.purge_interval, [] { return false; });
    if (stop.stop_requested()) return;
    if (auto floor = peers_.everyone_has()) store_.purge_tombstones(*floor);
  }
}

std::optional<std::string> Replicator::refuse_write() const {
  const size_t connected = peers_.connected_count();
  if (connected >= options_.sync_replicas) return std::nullopt;
  return std::to_string(connected) + " of " + std::to_string(options_.sync_replicas) +
         " required peers connected";
}

bool Replicator::await_replicated(const store::Change& change) {
  if (options_.sync_replicas == 0) return true;
  const auto deadline = PeerTable::Clock::now() + options_.sync_timeout;
  return peers_.wait_acknowledged(change.origin, change.seq, options_.sync_replicas, deadline);
}

std::string Replicator::status_json() const {
  const store::Summary ours = store_.summary();
  const nlohmann::json status{
      {"id", origin_hex(store_.id())},
      {"listen", local_address().to_string()},
      {"sync_replicas", options_.sync_replicas},
      {"summary", summary_json(ours)},
      {"digest", store_.digest()},
      {"peers", peers_.status(ours)},
  };
  return status.dump();
}

}  // namespace web::replication

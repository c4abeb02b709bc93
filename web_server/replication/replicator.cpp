#include "web_server/replication/replicator.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <limits>
#include <set>

#include "common/log.hpp"
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
      inbound_{store, stability_, options_.secret, options_.timing},
      peers_(options_.peers),
      server_(std::move(server)) {
  store_.add_listener([feed = feed_](const store::Change& change, bool) { feed->publish(change); });
}

Replicator::~Replicator() { stop(); }

common::Address Replicator::local_address() const { return server_->local_address(); }

common::Status Replicator::start() {
  if (auto started = server_->start(); !started) return started;
  const OutboundLink::Context context{store_,     *feed_,          peers_,
                                      stability_, options_.secret, options_.timing};
  for (size_t i = 0; i < options_.peers.size(); ++i) {
    links_.push_back(std::make_unique<OutboundLink>(context, i, options_.peers[i]));
  }
  compactor_ = std::make_unique<store::Compactor>(store_, options_.compact_interval,
                                                  [this] { return proof(); });
  return common::Ok{};
}

void Replicator::stop() {
  compactor_.reset();  // stops and joins
  links_.clear();
  server_->stop();
  server_->shutdown_connections(SHUT_RDWR);
  server_->wait_idle(options_.timing.dead_after);
}

// Floors: per origin, the lowest seq held by every peer and by us. Origins: every one that any
// server is known to have written from, and every peer's own, quiet or not.
std::optional<store::Compaction> Replicator::proof() {
  const store::Summary ours = store_.summary();
  retire_replaced(ours);
  const auto acknowledged = peers_.everyone_has();
  if (!acknowledged) return std::nullopt;
  store::Compaction compaction;
  for (const auto& [origin, seq] : *acknowledged) {
    const uint64_t floor = std::min(seq, store::seq_of(ours, origin));
    if (floor > 0) compaction.everyone_has[origin] = floor;
  }
  std::set<store::OriginId> origins = peers_.known_origins();
  origins.insert(store_.id());
  for (const auto& entry : ours) origins.insert(entry.first);
  stability_.heard(store_.promise());
  compaction.horizon = stability_.horizon(compaction.everyone_has, origins).value_or(0);
  return compaction;
}

void Replicator::retire_replaced(const store::Summary& ours) {
  const store::Summary retired = store_.retired();
  for (const store::OriginId old : peers_.replaced_origins()) {
    if (retired.contains(old)) continue;
    const uint64_t last = std::max(store::seq_of(ours, old), peers_.highest_acknowledged(old));
    if (auto kept = store_.retire(old, last); !kept) {
      common::log("replication: retiring origin ", origin_hex(old), ": ", kept.error().message);
      continue;
    }
    common::log("replication: origin ", origin_hex(old), " was replaced by a new one at its ",
                "address; it is retired after seq ", last);
  }
  for (const auto& [origin, last] : store_.retired()) {
    stability_.heard(store::Promise{origin, last, std::numeric_limits<uint64_t>::max()});
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
  nlohmann::json status{
      {"id", origin_hex(store_.id())},
      {"listen", local_address().to_string()},
      {"sync_replicas", options_.sync_replicas},
      {"summary", summary_json(ours)},
      {"digest", store_.digest()},
      {"peers", peers_.status(ours)},
  };
  if (compactor_) {
    const store::Compactor::Totals totals = compactor_->totals();
    status["compaction"] = {{"passes", totals.passes},
                            {"horizon", totals.horizon},
                            {"tombstones_dropped", totals.tombstones}};
  }
  return status.dump();
}

}  // namespace web::replication

#include "web_server/replication/replicator.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "common/log.hpp"
#include "web_server/replication/inbound_link.hpp"

namespace web::replication {

namespace {

// {"<origin hex>": seq, ...}
nlohmann::json summary_json(const store::Summary& summary) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [origin, seq] : summary) out[origin_hex(origin)] = seq;
  return out;
}

// The "peers" array of GET /replication; lag is measured against `ours`.
nlohmann::json peers_json(const std::vector<PeerTable::Status>& peers, const store::Summary& ours) {
  nlohmann::json out = nlohmann::json::array();
  for (const PeerTable::Status& peer : peers) {
    nlohmann::json lag = nlohmann::json::object();
    for (const auto& [origin, seq] : ours) {
      lag[origin_hex(origin)] = seq - std::min(seq, store::seq_of(peer.acknowledged, origin));
    }
    out.push_back({
        {"address", peer.address},
        {"connected", peer.connected},
        {"origin", peer.origin ? nlohmann::json(origin_hex(*peer.origin)) : nlohmann::json()},
        {"last_heard_ms_ago",
         peer.last_heard_ago ? nlohmann::json(peer.last_heard_ago->count()) : nlohmann::json()},
        {"acknowledged", summary_json(peer.acknowledged)},
        {"lag", std::move(lag)},
    });
  }
  return out;
}

}  // namespace

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
      server_(std::move(server)) {
  store_.add_listener([feed = feed_](const store::Change& change, bool) { feed->publish(change); });
}

Replicator::~Replicator() { stop(); }

common::Address Replicator::local_address() const { return server_->local_address(); }

common::Status Replicator::start() {
  if (auto started = server_->start(); !started) return started;
  {
    const std::lock_guard lock(members_mutex_);
    for (const std::string& address : options_.peers) add_member(address);
  }
  compactor_ = std::make_unique<store::Compactor>(store_, options_.compact_interval,
                                                  [this] { return proof(); });
  return common::Ok{};
}

void Replicator::stop() {
  compactor_.reset();  // stops and joins
  {
    const std::lock_guard lock(members_mutex_);
    members_.clear();  // each link stops and joins
  }
  server_->stop();
  server_->shutdown_connections(SHUT_RDWR);
  server_->wait_idle(options_.timing.dead_after);
}

common::Result<std::string> Replicator::set_peers(const std::vector<std::string>& peers) {
  if (peers.size() < options_.sync_replicas) {
    return common::invalid_value(
        std::to_string(peers.size()) + " peers",
        "fewer than --sync-replicas " + std::to_string(options_.sync_replicas));
  }
  const std::lock_guard lock(members_mutex_);
  const std::set<std::string> wanted(peers.begin(), peers.end());
  std::vector<std::string> gone;
  for (const auto& [address, member] : members_) {
    if (!wanted.contains(address)) gone.push_back(address);
  }
  for (const std::string& address : gone) remove_member(address);
  size_t added = 0;
  for (const std::string& address : peers) {
    if (members_.contains(address)) continue;
    add_member(address);
    ++added;
  }
  return std::to_string(added) + " added, " + std::to_string(gone.size()) + " removed, " +
         std::to_string(members_.size() - added) + " kept";
}

void Replicator::add_member(const std::string& address) {
  const OutboundLink::Context context{store_,     *feed_,          peers_,
                                      stability_, options_.secret, options_.timing};
  const PeerTable::PeerId id = peers_.add(address);
  members_[address] = Member{id, std::make_unique<OutboundLink>(context, id, address)};
}

// The link goes first, so that nothing it still receives makes the member known again.
void Replicator::remove_member(const std::string& address) {
  const auto found = members_.find(address);
  const PeerTable::PeerId id = found->second.id;
  members_.erase(found);
  std::optional<store::OriginId> origin = peers_.remove(id);
  if (!origin) origin = store_.peer_origin(address);
  if (!origin) return;  // never linked: a member that knows its origin retires it for us
  const uint64_t last =
      std::max(store::seq_of(store_.summary(), *origin), peers_.highest_acknowledged(*origin));
  retire(*origin, last, "its server " + address + " was removed from the peers");
}

// Floors: per origin, the lowest seq held by every peer and by us. Origins: every one that any
// server is known to have written from, and every peer's own, quiet or not.
std::optional<store::Compaction> Replicator::proof() {
  const store::Summary ours = store_.summary();
  remember_origins();
  settle_retirements(ours);
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
  const std::set<store::OriginId> members = peers_.member_origins();
  const store::Summary retired = store_.retired();
  compaction.horizon =
      stability_.horizon({compaction.everyone_has, origins, members, retired}).value_or(0);
  return compaction;
}

void Replicator::settle_retirements(const store::Summary& ours) {
  for (const store::OriginId old : peers_.replaced_origins()) {
    retire(old, std::max(store::seq_of(ours, old), peers_.highest_acknowledged(old)),
           "a new origin came up at its address");
  }
  const std::set<store::OriginId> members = peers_.member_origins();
  const store::Summary declared = stability_.highest_declared(members);
  for (const auto& [origin, last] : declared) {
    if (origin == store_.id() || members.contains(origin)) continue;
    retire(origin, last, "a member retired it");
  }
  for (const auto& [origin, last] : store_.retired()) {
    const uint64_t highest = std::max({store::seq_of(ours, origin), store::seq_of(declared, origin),
                                       peers_.highest_acknowledged(origin)});
    if (highest > last) retire(origin, highest, "its final seq is higher elsewhere");
  }
}

void Replicator::remember_origins() {
  for (const auto& [address, origin] : peers_.origins_by_address()) {
    const auto known = remembered_.find(address);
    if (known != remembered_.end() && known->second == origin) continue;
    if (auto kept = store_.remember_peer(address, origin); !kept) {
      common::log("replication: remembering the origin of ", address, ": ", kept.error().message);
      continue;
    }
    remembered_[address] = origin;
  }
}

// Keeps the highest final seq recorded for the origin; logs only the first retirement.
void Replicator::retire(store::OriginId origin, uint64_t last, std::string_view why) {
  const store::Summary retired = store_.retired();
  const uint64_t before = store::seq_of(retired, origin);
  if (retired.contains(origin) && last <= before) return;
  if (auto kept = store_.retire(origin, last); !kept) {
    common::log("replication: retiring origin ", origin_hex(origin), ": ", kept.error().message);
    return;
  }
  if (!retired.contains(origin)) {
    common::log("replication: origin ", origin_hex(origin), " retired after seq ", last, ": ", why);
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
      {"peers", peers_json(peers_.status(), ours)},
      {"retired", summary_json(store_.retired())},
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

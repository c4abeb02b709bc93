#include "web_server/replication/peer_table.hpp"

#include <algorithm>
#include <cstdio>

namespace web::replication {

std::string origin_hex(store::OriginId origin) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(origin));
  return text;
}

nlohmann::json summary_json(const store::Summary& summary) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [origin, seq] : summary) out[origin_hex(origin)] = seq;
  return out;
}

PeerTable::PeerTable(std::vector<std::string> addresses) {
  peers_.resize(addresses.size());
  for (size_t i = 0; i < addresses.size(); ++i) peers_[i].address = std::move(addresses[i]);
}

void PeerTable::connected(size_t peer, store::OriginId origin) {
  std::lock_guard lock(mutex_);
  if (peers_[peer].origin && *peers_[peer].origin != origin) replaced_.insert(*peers_[peer].origin);
  peers_[peer].connected = true;
  peers_[peer].origin = origin;
  peers_[peer].last_heard = Clock::now();
}

void PeerTable::disconnected(size_t peer) {
  std::lock_guard lock(mutex_);
  peers_[peer].connected = false;
  changed_.notify_all();
}

void PeerTable::acknowledged(size_t peer, const store::Summary& summary) {
  std::lock_guard lock(mutex_);
  peers_[peer].acknowledged = summary;
  peers_[peer].last_heard = Clock::now();
  changed_.notify_all();
}

store::Summary PeerTable::acknowledged_by(size_t peer) const {
  std::lock_guard lock(mutex_);
  return peers_[peer].acknowledged.value_or(store::Summary{});
}

size_t PeerTable::connected_count() const {
  std::lock_guard lock(mutex_);
  return static_cast<size_t>(
      std::count_if(peers_.begin(), peers_.end(), [](const Peer& p) { return p.connected; }));
}

size_t PeerTable::count_acknowledged(store::OriginId origin, uint64_t seq) const {
  return static_cast<size_t>(std::count_if(peers_.begin(), peers_.end(), [&](const Peer& p) {
    return p.acknowledged && store::seq_of(*p.acknowledged, origin) >= seq;
  }));
}

bool PeerTable::wait_acknowledged(store::OriginId origin, uint64_t seq, size_t needed,
                                  Clock::time_point deadline) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_until(lock, deadline,
                             [&] { return count_acknowledged(origin, seq) >= needed; });
}

std::optional<store::Summary> PeerTable::everyone_has() const {
  std::lock_guard lock(mutex_);
  const bool all_heard = std::all_of(peers_.begin(), peers_.end(),
                                     [](const Peer& p) { return p.acknowledged.has_value(); });
  if (!all_heard || peers_.empty()) return std::nullopt;
  store::Summary floor = *peers_.front().acknowledged;
  for (const Peer& peer : peers_) {
    for (auto it = floor.begin(); it != floor.end();) {
      const uint64_t has = store::seq_of(*peer.acknowledged, it->first);
      if (has == 0) {
        it = floor.erase(it);
      } else {
        it->second = std::min(it->second, has);
        ++it;
      }
    }
  }
  return floor;
}

std::set<store::OriginId> PeerTable::known_origins() const {
  std::lock_guard lock(mutex_);
  std::set<store::OriginId> origins;
  for (const Peer& peer : peers_) {
    if (peer.origin) origins.insert(*peer.origin);
    if (!peer.acknowledged) continue;
    for (const auto& entry : *peer.acknowledged) origins.insert(entry.first);
  }
  return origins;
}

std::set<store::OriginId> PeerTable::replaced_origins() const {
  std::lock_guard lock(mutex_);
  return replaced_;
}

uint64_t PeerTable::highest_acknowledged(store::OriginId origin) const {
  std::lock_guard lock(mutex_);
  uint64_t highest = 0;
  for (const Peer& peer : peers_) {
    if (peer.acknowledged) highest = std::max(highest, store::seq_of(*peer.acknowledged, origin));
  }
  return highest;
}

nlohmann::json PeerTable::status(const store::Summary& ours) const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::array();
  const auto now = Clock::now();
  for (const Peer& peer : peers_) {
    nlohmann::json entry{{"address", peer.address}, {"connected", peer.connected}};
    entry["origin"] = peer.origin ? nlohmann::json(origin_hex(*peer.origin)) : nlohmann::json();
    entry["last_heard_ms_ago"] =
        peer.last_heard ? nlohmann::json(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             now - *peer.last_heard)
                                             .count())
                        : nlohmann::json();
    const store::Summary acked = peer.acknowledged.value_or(store::Summary{});
    entry["acknowledged"] = summary_json(acked);
    nlohmann::json lag = nlohmann::json::object();
    for (const auto& [origin, seq] : ours) {
      lag[origin_hex(origin)] = seq - std::min(seq, store::seq_of(acked, origin));
    }
    entry["lag"] = std::move(lag);
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace web::replication

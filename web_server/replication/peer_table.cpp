#include "web_server/replication/peer_table.hpp"

#include <algorithm>
#include <cstdio>

namespace web::replication {

std::string origin_hex(store::OriginId origin) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(origin));
  return text;
}

PeerTable::PeerTable(std::vector<std::string> addresses) {
  for (std::string& address : addresses) add(std::move(address));
}

PeerTable::PeerId PeerTable::add(std::string address) {
  std::lock_guard lock(mutex_);
  peers_[next_id_].address = std::move(address);
  return next_id_++;
}

std::optional<store::OriginId> PeerTable::remove(PeerId peer) {
  std::lock_guard lock(mutex_);
  const auto found = peers_.find(peer);
  if (found == peers_.end()) return std::nullopt;
  const std::optional<store::OriginId> origin = found->second.origin;
  peers_.erase(found);
  changed_.notify_all();
  return origin;
}

size_t PeerTable::size() const {
  std::lock_guard lock(mutex_);
  return peers_.size();
}

std::set<store::OriginId> PeerTable::member_origins() const {
  std::lock_guard lock(mutex_);
  std::set<store::OriginId> origins;
  for (const auto& [id, peer] : peers_) {
    if (peer.origin) origins.insert(*peer.origin);
  }
  return origins;
}

std::map<std::string, store::OriginId> PeerTable::origins_by_address() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, store::OriginId> origins;
  for (const auto& [id, peer] : peers_) {
    if (peer.origin) origins[peer.address] = *peer.origin;
  }
  return origins;
}

void PeerTable::connected(PeerId id, store::OriginId origin) {
  std::lock_guard lock(mutex_);
  const auto found = peers_.find(id);
  if (found == peers_.end()) return;
  Peer& peer = found->second;
  if (peer.origin && *peer.origin != origin) replaced_.insert(*peer.origin);
  peer.connected = true;
  peer.origin = origin;
  peer.last_heard = Clock::now();
}

void PeerTable::disconnected(PeerId id) {
  std::lock_guard lock(mutex_);
  if (const auto found = peers_.find(id); found != peers_.end()) found->second.connected = false;
  changed_.notify_all();
}

void PeerTable::acknowledged(PeerId id, const store::Summary& summary) {
  std::lock_guard lock(mutex_);
  const auto found = peers_.find(id);
  if (found == peers_.end()) return;
  found->second.acknowledged = summary;
  found->second.last_heard = Clock::now();
  changed_.notify_all();
}

store::Summary PeerTable::acknowledged_by(PeerId id) const {
  std::lock_guard lock(mutex_);
  const auto found = peers_.find(id);
  if (found == peers_.end()) return store::Summary{};
  return found->second.acknowledged.value_or(store::Summary{});
}

size_t PeerTable::connected_count() const {
  std::lock_guard lock(mutex_);
  return static_cast<size_t>(std::count_if(
      peers_.begin(), peers_.end(), [](const auto& entry) { return entry.second.connected; }));
}

size_t PeerTable::count_acknowledged(store::OriginId origin, uint64_t seq) const {
  return static_cast<size_t>(std::count_if(peers_.begin(), peers_.end(), [&](const auto& entry) {
    const Peer& p = entry.second;
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
  const bool all_heard = std::all_of(peers_.begin(), peers_.end(), [](const auto& entry) {
    return entry.second.acknowledged.has_value();
  });
  if (!all_heard || peers_.empty()) return std::nullopt;
  store::Summary floor = *peers_.begin()->second.acknowledged;
  for (const auto& [id, peer] : peers_) {
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
  for (const auto& [id, peer] : peers_) {
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
  for (const auto& [id, peer] : peers_) {
    if (peer.acknowledged) highest = std::max(highest, store::seq_of(*peer.acknowledged, origin));
  }
  return highest;
}

std::vector<PeerTable::Status> PeerTable::status() const {
  std::lock_guard lock(mutex_);
  std::vector<Status> out;
  const auto now = Clock::now();
  for (const auto& [id, peer] : peers_) {
    Status entry{peer.address, peer.origin, peer.connected, std::nullopt,
                 peer.acknowledged.value_or(store::Summary{})};
    if (peer.last_heard) {
      entry.last_heard_ago =
          std::chrono::duration_cast<std::chrono::milliseconds>(now - *peer.last_heard);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace web::replication

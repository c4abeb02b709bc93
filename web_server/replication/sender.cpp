#include "web_server/replication/sender.hpp"

#include <algorithm>

#include "web_server/replication/frame.hpp"
#include "web_server/replication/frame_stream.hpp"
#include "web_server/replication/message.hpp"

namespace web::replication {

namespace {
constexpr size_t kCatchUpBatch = 256;
constexpr size_t kFlushBytes = 256 * 1024;
}  // namespace

Sender::Sender(const store::Store& store, const PeerTable& peers, Peer peer,
               store::Summary peer_has)
    : store_(store), peers_(peers), peer_(peer), sent_(std::move(peer_has)) {}

// What the peer acknowledged since (it may have had changes relayed by others) needs no sending.
void Sender::skip_acknowledged() {
  for (const auto& [origin, seq] : peers_.acknowledged_by(peer_.index)) {
    uint64_t& sent = sent_[origin];
    sent = std::max(sent, seq);
  }
}

// Appends `change` when it is the next one of its origin; remembers it exists otherwise.
bool Sender::append_next(std::string& out, const store::Change& change) {
  if (change.origin == peer_.origin) return true;
  uint64_t& sent = sent_[change.origin];
  if (change.seq <= sent) return true;
  if (change.seq != sent + 1) {
    uint64_t& seen = seen_[change.origin];
    seen = std::max(seen, change.seq);
    return false;
  }
  peer_.writer.append(out, FrameType::change, encode(change));
  sent = change.seq;
  return true;
}

common::Status Sender::flush(std::string& out) {
  if (out.empty()) return common::Ok{};
  auto sent = peer_.writer.send(out);
  out.clear();
  return sent;
}

common::Status Sender::catch_up(store::OriginId origin, uint64_t until) {
  std::string out;
  while (sent_[origin] < until) {
    const auto changes = store_.changes_after(origin, sent_[origin], kCatchUpBatch);
    bool in_order = true;
    for (const auto& change : changes) {
      in_order = append_next(out, change);
      if (!in_order) break;
    }
    if (out.size() >= kFlushBytes || !in_order || changes.size() < kCatchUpBatch) {
      if (auto sent = flush(out); !sent) return sent;
    }
    if (!in_order || changes.size() < kCatchUpBatch) break;
  }
  return flush(out);
}

common::Status Sender::catch_up() {
  skip_acknowledged();
  for (const auto& [origin, seq] : store_.summary()) {
    if (origin == peer_.origin) continue;
    if (auto sent = catch_up(origin, seq); !sent) return sent;
  }
  return common::Ok{};
}

common::Status Sender::deliver(const ChangeFeed::Batch& batch) {
  if (batch.overflowed) return catch_up();
  skip_acknowledged();
  std::string out;
  for (const auto& change : batch.changes) {
    append_next(out, change);
    if (out.size() >= kFlushBytes) {
      if (auto sent = flush(out); !sent) return sent;
    }
  }
  if (auto sent = flush(out); !sent) return sent;
  for (const auto& [origin, seen] : seen_) {
    if (sent_[origin] >= seen) continue;
    if (auto sent = catch_up(origin, seen); !sent) return sent;
  }
  std::erase_if(seen_, [this](const auto& entry) { return sent_[entry.first] >= entry.second; });
  return common::Ok{};
}

common::Status Sender::ping() { return peer_.writer.send(FrameType::ping, {}); }

}  // namespace web::replication

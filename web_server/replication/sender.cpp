#include "web_server/replication/sender.hpp"

#include <algorithm>

#include "web_server/replication/frame.hpp"
#include "web_server/replication/frame_stream.hpp"
#include "web_server/replication/message.hpp"

namespace web::replication {

namespace {
constexpr size_t kCatchUpBatch = 256;
constexpr size_t kFlushBytes = 256 * 1024;

uint64_t seq_of(const store::Summary& summary, store::OriginId origin) {
  const auto it = summary.find(origin);
  return it == summary.end() ? 0 : it->second;
}

}  // namespace

Sender::Sender(const store::Store& store, const PeerTable& peers, Stability& stability, Peer peer,
               store::Summary peer_has)
    : store_(store),
      peers_(peers),
      stability_(stability),
      peer_(peer),
      sent_(std::move(peer_has)) {}

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
  append_frame(out, FrameType::change, encode(change));
  sent = change.seq;
  return true;
}

common::Status Sender::flush(std::string& out) {
  if (out.empty()) return common::Ok{};
  auto sent = common::send_all(peer_.fd, out);
  out.clear();
  return sent;
}

// Below `thinned` (the origin's compacted stretch here) the rows left are sent as they come,
// gaps and all, and a SKIP then says the peer holds the stretch; above it, strictly in order.
common::Status Sender::catch_up(store::OriginId origin, uint64_t until) {
  const uint64_t thinned = seq_of(store_.compacted(), origin);
  uint64_t& sent = sent_[origin];
  std::string out;
  const auto skip_to_thinned = [&] {
    if (sent >= thinned) return;
    append_frame(out, FrameType::skip, encode(Skip{origin, thinned}));
    sent = thinned;
  };
  while (sent < until) {
    const auto changes = store_.changes_after(origin, sent, kCatchUpBatch);
    bool in_order = true;
    for (const auto& change : changes) {
      if (change.seq <= thinned) {
        if (change.origin != peer_.origin) append_frame(out, FrameType::change, encode(change));
        sent = change.seq;
        continue;
      }
      skip_to_thinned();
      in_order = append_next(out, change);
      if (!in_order) break;
    }
    const bool last = changes.size() < kCatchUpBatch;
    if (last) skip_to_thinned();
    if (out.size() >= kFlushBytes || !in_order || last) {
      if (auto flushed = flush(out); !flushed) return flushed;
    }
    if (!in_order || last) break;
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
  return fill_gaps();
}

// Origins whose next change was not in order: read from the store what the feed could not say.
common::Status Sender::fill_gaps() {
  for (const auto& [origin, seen] : seen_) {
    if (sent_[origin] >= seen) continue;
    if (auto sent = catch_up(origin, seen); !sent) return sent;
  }
  std::erase_if(seen_, [this](const auto& entry) { return sent_[entry.first] >= entry.second; });
  return common::Ok{};
}

common::Status Sender::progress() {
  if (auto filled = fill_gaps(); !filled) return filled;
  stability_.heard(store_.promise());
  return send_frame(peer_.fd, FrameType::progress, encode(stability_.latest()));
}

}  // namespace web::replication

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

Sender::Sender(const store::Store& store, const PeerTable& peers, Stability& stability, Peer peer,
               store::Summary peer_has)
    : store_(store),
      peers_(peers),
      stability_(stability),
      peer_(peer),
      sent_(std::move(peer_has)) {}

// What the peer acknowledged since (it may have had changes relayed by others) needs no sending.
void Sender::skip_acknowledged() {
  for (const auto& [origin, seq] : peers_.acknowledged_by(peer_.id)) {
    uint64_t& sent = sent_[origin];
    sent = std::max(sent, seq);
  }
}

// Appends `change` when it is the next one of its origin; remembers it exists otherwise.
void Sender::append_next(std::string& out, const store::Change& change) {
  if (change.origin == peer_.origin) return;
  uint64_t& sent = sent_[change.origin];
  if (change.seq <= sent) return;
  if (change.seq != sent + 1) {
    uint64_t& seen = seen_[change.origin];
    seen = std::max(seen, change.seq);
    return;
  }
  peer_.writer.append(out, FrameType::change, encode(change));
  sent = change.seq;
}

common::Status Sender::flush(std::string& out) {
  if (out.empty()) return common::Ok{};
  auto sent = peer_.writer.send(out);
  out.clear();
  return sent;
}

// The origin's current changes past what the peer has, up to what we hold of it, each batch
// followed by a SKIP to its last seq: the seqs in between that have no row were superseded here,
// and what superseded them goes out in its own origin's turn (or went already), so the peer may
// count them as held. Its summary then stays contiguous, and a bootstrap of a million keys costs
// the million current changes, never the history.
common::Status Sender::catch_up(store::OriginId origin) {
  const uint64_t held = store::seq_of(store_.summary(), origin);
  uint64_t& sent = sent_[origin];
  std::string out;
  while (sent < held) {
    const auto changes = store_.changes_between(origin, sent, held, kCatchUpBatch);
    for (const auto& change : changes) {
      peer_.writer.append(out, FrameType::change, encode(change));
      sent = change.seq;
    }
    if (changes.size() < kCatchUpBatch) sent = held;
    peer_.writer.append(out, FrameType::skip, encode(Skip{origin, sent}));
    if (out.size() >= kFlushBytes || sent >= held) {
      if (auto flushed = flush(out); !flushed) return flushed;
    }
  }
  return flush(out);
}

common::Status Sender::catch_up() {
  skip_acknowledged();
  for (const auto& [origin, seq] : store_.summary()) {
    if (origin == peer_.origin) continue;
    if (auto sent = catch_up(origin); !sent) return sent;
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
    if (auto sent = catch_up(origin); !sent) return sent;
  }
  std::erase_if(seen_, [this](const auto& entry) { return sent_[entry.first] >= entry.second; });
  return common::Ok{};
}

common::Status Sender::progress() {
  if (auto filled = fill_gaps(); !filled) return filled;
  stability_.heard(store_.promise());
  return peer_.writer.send(FrameType::progress,
                           encode(Progress{stability_.latest(), store_.retired()}));
}

}  // namespace web::replication

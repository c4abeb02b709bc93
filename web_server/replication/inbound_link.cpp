#include "web_server/replication/inbound_link.hpp"

#include <string>
#include <vector>

#include "common/log.hpp"
#include "web_server/replication/frame_stream.hpp"
#include "web_server/replication/handshake.hpp"
#include "web_server/replication/message.hpp"
#include "web_server/replication/peer_table.hpp"

namespace web::replication {
namespace {

// Changes are applied in runs: one commit (one fsync) per run instead of one per change.
constexpr size_t kMaxRun = 256;
constexpr size_t kMaxRunBytes = 4 * 1024 * 1024;

// What one link has received and not yet applied.
class Run {
 public:
  explicit Run(store::Store& store) : store_(store) {}

  // Takes one CHANGE frame; fails (and the link goes) on a malformed one or a store error.
  common::Status add(std::string_view payload) {
    auto change = decode_change(payload);
    if (!change) return protocol_error("malformed CHANGE payload");
    if (!store::valid_key(change->key)) return protocol_error("CHANGE with an invalid key");
    bytes_ += change->key.size() + (change->value ? change->value->size() : 0);
    changes_.push_back(std::move(*change));
    if (changes_.size() >= kMaxRun || bytes_ >= kMaxRunBytes) return apply();
    return common::Ok{};
  }
  common::Status apply() {
    if (changes_.empty()) return common::Ok{};
    auto applied = store_.apply_all(changes_);
    changes_.clear();
    bytes_ = 0;
    if (!applied) return applied.error();
    return common::Ok{};
  }

 private:
  store::Store& store_;
  std::vector<store::Change> changes_;
  size_t bytes_ = 0;
};

common::Status apply_skip(store::Store& store, std::string_view payload) {
  const auto skip = decode_skip(payload);
  if (!skip) return protocol_error("malformed SKIP payload");
  return store.skip(skip->origin, skip->upto);
}

common::Status take_progress(Stability& stability, store::OriginId peer, std::string_view payload) {
  auto progress = decode_progress(payload);
  if (!progress) return protocol_error("malformed PROGRESS payload");
  stability.heard(progress->promises);
  stability.declared(peer, std::move(progress->retired));
  return common::Ok{};
}

common::Status send_summary(FrameWriter& writer, const store::Store& store) {
  return writer.send(FrameType::ack, encode(store.summary()));
}

// One frame after the handshake. A SKIP covers the changes sent before it: they go first.
common::Status take(const Frame& frame, Run& run, store::OriginId peer,
                    const InboundContext& context) {
  switch (frame.type) {
    case FrameType::change:
      return run.add(frame.payload);
    case FrameType::skip:
      if (auto applied = run.apply(); !applied) return applied;
      return apply_skip(context.store, frame.payload);
    case FrameType::progress:
      return take_progress(context.stability, peer, frame.payload);
    default:
      return protocol_error("unexpected " + std::string(to_string(frame.type)) + " on a link");
  }
}

// After the handshake: CHANGE, SKIP and PROGRESS frames until the link ends (always with an
// error). What a broken frame ends is not applied; the peer sends it again on its next link.
common::Status receive(FrameWriter& writer, FrameReader& reader, store::OriginId peer,
                       const InboundContext& context) {
  if (context.store.retired().contains(peer)) return retired_origin(peer);
  if (auto sent = send_summary(writer, context.store); !sent) return sent;
  Run run(context.store);
  for (;;) {
    auto frame = reader.read();
    if (!frame) return frame.error();
    if (auto taken = take(*frame, run, peer, context); !taken) return taken;
    if (!reader.ready()) {  // the end of a burst: one commit and one ACK cover all of it
      if (auto applied = run.apply(); !applied) return applied;
      if (auto sent = send_summary(writer, context.store); !sent) return sent;
    }
  }
}

}  // namespace

void serve_inbound_link(const common::Fd& fd, const common::Address& peer,
                        const InboundContext& context) {
  const std::string who = peer.to_string();
  if (auto timeouts =
          common::set_io_timeouts(fd, context.timing.dead_after, context.timing.dead_after);
      !timeouts) {
    common::log("replication: link from ", who, ": ", timeouts.error().message);
    return;
  }
  FrameReader reader(fd);
  FrameWriter writer(fd);
  auto origin = handshake_as_acceptor(writer, reader, context.secret, context.store.id());
  if (!origin) {
    common::log("replication: dropped link from ", who,
                " before authentication: ", origin.error().message);
    return;
  }
  common::log("replication: link from ", who, " (origin ", origin_hex(*origin), ") authenticated");
  const common::Status ended = receive(writer, reader, *origin, context);
  common::log("replication: link from ", who, " (origin ", origin_hex(*origin),
              ") ended: ", ended.error().message);
}

}  // namespace web::replication

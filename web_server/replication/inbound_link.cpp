#include "web_server/replication/inbound_link.hpp"

#include "common/log.hpp"
#include "web_server/replication/frame_stream.hpp"
#include "web_server/replication/handshake.hpp"
#include "web_server/replication/message.hpp"
#include "web_server/replication/peer_table.hpp"

namespace web::replication {
namespace {

// Applies one CHANGE frame; fails (and the link goes) on a malformed one or a store error.
common::Status apply_change(store::Store& store, std::string_view payload) {
  const auto change = decode_change(payload);
  if (!change) return protocol_error("malformed CHANGE payload");
  if (!store::valid_key(change->key)) return protocol_error("CHANGE with an invalid key");
  auto applied = store.apply(*change);
  if (!applied) return applied.error();
  return common::Ok{};
}

common::Status send_summary(FrameWriter& writer, const store::Store& store) {
  return writer.send(FrameType::ack, encode(store.summary()));
}

// After the handshake: CHANGE and PING frames until the link ends (always with an error).
common::Status receive(FrameWriter& writer, FrameReader& reader, store::Store& store) {
  if (auto sent = send_summary(writer, store); !sent) return sent;
  for (;;) {
    auto frame = reader.read();
    if (!frame) return frame.error();
    if (frame->type == FrameType::change) {
      if (auto applied = apply_change(store, frame->payload); !applied) return applied;
    } else if (frame->type != FrameType::ping) {
      return protocol_error("unexpected " + std::string(to_string(frame->type)) + " on a link");
    }
    if (!reader.ready()) {  // the end of a burst: one ACK covers all of it
      if (auto sent = send_summary(writer, store); !sent) return sent;
    }
  }
}

}  // namespace

void serve_inbound_link(const common::Fd& fd, const common::Address& peer,
                        const InboundContext& context) {
  const std::string who = peer.to_string();
  if (auto timeouts = common::set_io_timeouts(fd, context.timing.dead_after,
                                              context.timing.dead_after);
      !timeouts) {
    common::log("replication: link from ", who, ": ", timeouts.error().message);
    return;
  }
  FrameReader reader(fd);
  FrameWriter writer(fd);
  auto origin = handshake_as_acceptor(writer, reader, context.secret, context.store.id());
  if (!origin) {
    common::log("replication: dropped link from ", who, " before authentication: ",
                origin.error().message);
    return;
  }
  common::log("replication: link from ", who, " (origin ", origin_hex(*origin), ") authenticated");
  const common::Status ended = receive(writer, reader, context.store);
  common::log("replication: link from ", who, " (origin ", origin_hex(*origin),
              ") ended: ", ended.error().message);
}

}  // namespace web::replication

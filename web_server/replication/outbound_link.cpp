#include "web_server/replication/outbound_link.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "common/log.hpp"
#include "common/socket.hpp"
#include "web_server/replication/handshake.hpp"
#include "web_server/replication/message.hpp"
#include "web_server/replication/sender.hpp"

namespace web::replication {

namespace {

using Clock = std::chrono::steady_clock;

// Wakes every thread blocked on the link's socket; the descriptor stays owned by its Fd.
void cut(const common::Fd& fd) { ::shutdown(fd.get(), SHUT_RDWR); }

}  // namespace

OutboundLink::OutboundLink(Context context, PeerTable::PeerId peer, std::string address)
    : context_(context),
      peer_(peer),
      address_(std::move(address)),
      thread_([this](std::stop_token stop) { run(stop); }) {}

OutboundLink::~OutboundLink() {
  thread_.request_stop();
  thread_.join();
}

// Logs a failure once until it changes, so that a peer that stays down is not a log line per try.
void OutboundLink::run(std::stop_token stop) {
  common::Millis backoff = context_.timing.backoff_min;
  std::string last_failure;
  while (!stop.stop_requested()) {
    bool established = false;
    const common::Status ended = session(stop, established);
    if (stop.stop_requested()) break;
    if (established) backoff = context_.timing.backoff_min;
    if (ended.error().message != last_failure || established) {
      common::log("replication: link to ", address_, ": ", ended.error().message, "; reconnecting");
    }
    last_failure = ended.error().message;
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, stop, backoff, [] { return false; });
    backoff = std::min(backoff * 2, context_.timing.backoff_max);
  }
}

common::Status OutboundLink::session(std::stop_token stop, bool& established) {
  auto address = common::parse_address(address_);
  if (!address) return address.error();
  auto fd = common::connect_tcp(*address, context_.timing.connect_timeout);
  if (!fd) return fd.error();
  const common::Millis dead = context_.timing.dead_after;
  if (auto set = common::set_io_timeouts(*fd, dead, dead); !set) return set;
  // Subscribed before the peer's summary is read: a change committed meanwhile is either in the
  // summary's answer or in the queue, never in neither.
  const auto subscription = context_.feed.subscribe();
  const std::stop_callback on_stop(stop, [&] {
    subscription->close();
    cut(*fd);
  });
  FrameReader reader(*fd);
  FrameWriter writer(*fd);
  auto origin = handshake_as_dialer(writer, reader, context_.secret, context_.store.id());
  if (!origin) return origin.error();
  if (context_.store.retired().contains(*origin)) return retired_origin(*origin);
  auto welcome = expect_frame(reader, FrameType::ack);
  if (!welcome) return welcome.error();
  auto peer_has = decode_summary(welcome->payload);
  if (!peer_has) return protocol_error("malformed ACK payload");
  established = true;
  context_.peers.connected(peer_, *origin);
  context_.peers.acknowledged(peer_, *peer_has);
  common::log("replication: link to ", address_, " (origin ", origin_hex(*origin), ") up");
  const common::Status ended = stream(writer, reader, *subscription, *origin, std::move(*peer_has));
  context_.peers.disconnected(peer_);
  return ended;
}

common::Status OutboundLink::stream(FrameWriter& writer, FrameReader& reader,
                                    ChangeFeed::Subscription& subscription, store::OriginId origin,
                                    store::Summary peer_has) {
  const common::Fd& fd = writer.fd();
  Sender sender(context_.store, context_.peers, context_.stability,
                Sender::Peer{.writer = writer, .id = peer_, .origin = origin}, std::move(peer_has));
  std::optional<common::Error> ack_failure;
  common::Status sending = common::Ok{};
  {
    const std::jthread acks([&] {
      ack_failure = read_acks(reader).error();
      subscription.close();
      cut(fd);
    });
    sending = sender.catch_up();
    // PROGRESS each heartbeat, busy or idle: the tombstone horizon moves only with promises.
    auto progress_due = Clock::now();
    while (sending) {
      const ChangeFeed::Batch batch = subscription.take(context_.timing.heartbeat);
      if (batch.closed) break;
      const bool idle = batch.changes.empty() && !batch.overflowed;
      if (!idle) sending = sender.deliver(batch);
      if (sending && (idle || Clock::now() >= progress_due)) {
        sending = sender.progress();
        progress_due = Clock::now() + context_.timing.heartbeat;
      }
    }
    cut(fd);
  }
  if (ack_failure && ack_failure->code != common::Errc::closed) return *ack_failure;
  if (!sending) return sending;
  return ack_failure ? *ack_failure : common::Error{common::Errc::closed, "link stopped"};
}

common::Status OutboundLink::read_acks(FrameReader& reader) {
  for (;;) {
    auto frame = expect_frame(reader, FrameType::ack);
    if (!frame) return frame.error();
    const auto summary = decode_summary(frame->payload);
    if (!summary) return protocol_error("malformed ACK payload");
    context_.peers.acknowledged(peer_, *summary);
  }
}

}  // namespace web::replication

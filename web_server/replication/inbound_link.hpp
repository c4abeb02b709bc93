// The receiving end of a link a peer dialled to us: after the handshake it answers with our
// summary (so the peer knows where to start), then applies the changes it sends (a burst's run
// of changes in one commit), its SKIPs, and the promises of its PROGRESS frames, and
// acknowledges with our summary whenever it has no more frames buffered, i.e. once per burst.
#pragma once

#include <string_view>

#include "common/address.hpp"
#include "common/fd.hpp"
#include "web_server/replication/link_timing.hpp"
#include "web_server/replication/stability.hpp"
#include "web_server/store/store.hpp"

namespace web::replication {

struct InboundContext {
  store::Store& store;
  Stability& stability;
  std::string_view secret;
  LinkTiming timing;
};

// Runs one accepted link until it ends, on the connection's thread; logs which peer and why it
// ended ("wrong secret: ...", "unknown frame type", "truncated frame: ...", "frame 7 (CHANGE)
// fails authentication: ..."). Nothing a peer sends before it is authenticated, in a frame that
// fails to open (altered, dropped, replayed, injected) or to decode, reaches the store.
void serve_inbound_link(const common::Fd& fd, const common::Address& peer,
                        const InboundContext& context);

}  // namespace web::replication

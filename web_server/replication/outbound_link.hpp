// The link we dial to one peer, on its own thread: connects (again and again, with capped
// exponential backoff), authenticates, and pushes the peer every change it lacks while a second
// thread reads the peer's acknowledgements into the PeerTable. Each pair of servers thus has two
// links, one per direction; each carries changes one way and ACKs the other, so no link needs a
// tie-break between two servers that dial each other at once.
#pragma once

#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>

#include "common/fd.hpp"
#include "common/result.hpp"
#include "web_server/replication/change_feed.hpp"
#include "web_server/replication/frame_stream.hpp"
#include "web_server/replication/link_timing.hpp"
#include "web_server/replication/peer_table.hpp"
#include "web_server/replication/stability.hpp"
#include "web_server/store/store.hpp"

namespace web::replication {

class OutboundLink {
 public:
  struct Context {
    const store::Store& store;
    ChangeFeed& feed;
    PeerTable& peers;
    Stability& stability;
    std::string_view secret;
    LinkTiming timing;
  };

  // Starts the link's thread at once. `peer`: its id in context.peers; `address`: host:port,
  // resolved at each attempt, so that a peer may start later than we do. A peer whose origin we
  // retired is not linked to (it was removed, or replaced by a new origin at its address).
  OutboundLink(Context context, PeerTable::PeerId peer, std::string address);
  ~OutboundLink();  // stops the link (cutting the connection) and joins its threads
  OutboundLink(const OutboundLink&) = delete;
  OutboundLink& operator=(const OutboundLink&) = delete;

 private:
  void run(std::stop_token stop);
  common::Status session(std::stop_token stop, bool& established);
  common::Status stream(FrameWriter& writer, FrameReader& reader,
                        ChangeFeed::Subscription& subscription, store::OriginId origin,
                        store::Summary peer_has);
  common::Status read_acks(FrameReader& reader);

  const Context context_;
  const PeerTable::PeerId peer_;
  const std::string address_;
  std::mutex mutex_;
  std::condition_variable_any wake_;  // the backoff wait, cut short by a stop request
  std::jthread thread_;               // last: it uses everything above
};

}  // namespace web::replication

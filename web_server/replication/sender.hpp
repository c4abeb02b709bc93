// The sending half of an outbound link: streams one peer every change it lacks, for every origin
// (our own writes and those relayed from others), in seq order per origin. Starts from the
// summary the peer sent when the link opened, takes live changes from the feed, and falls back
// to reading the store's change log whenever the feed cannot say what comes next (a queue that
// overflowed, a change that arrived here out of order). Each heartbeat it passes on the
// promises it knows (PROGRESS). Used by one thread.
#pragma once

#include <map>
#include <string>

#include "common/result.hpp"
#include "web_server/replication/change_feed.hpp"
#include "web_server/replication/frame_stream.hpp"
#include "web_server/replication/peer_table.hpp"
#include "web_server/replication/stability.hpp"
#include "web_server/store/store.hpp"

namespace web::replication {

class Sender {
 public:
  struct Peer {
    FrameWriter& writer;
    PeerTable::PeerId id = 0;

    store::OriginId origin = 0;  // never sent its own changes: it has them all
  };

  Sender(const store::Store& store, const PeerTable& peers, Stability& stability, Peer peer,
         store::Summary peer_has);

  // Sends everything the store has past what the peer has, origin by origin.
  common::Status catch_up();
  // Sends a batch from the feed; catches up from the store where the batch leaves a gap.
  common::Status deliver(const ChangeFeed::Batch& batch);
  // Sends our promise and those we heard, and the origins we retired (and first fills any gap a
  // catch-up left).
  common::Status progress();

 private:
  void skip_acknowledged();
  void append_next(std::string& out, const store::Change& change);
  common::Status catch_up(store::OriginId origin);
  common::Status fill_gaps();
  common::Status flush(std::string& out);

  const store::Store& store_;
  const PeerTable& peers_;
  Stability& stability_;
  const Peer peer_;
  store::Summary sent_;                       // per origin: 1..seq went out, in order
  std::map<store::OriginId, uint64_t> seen_;  // per origin: highest seq known to exist here
};

}  // namespace web::replication

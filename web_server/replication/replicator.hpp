// Multi-master replication of one server's store to its peers, over plain TCP links
// authenticated with a shared secret. Topology: this server dials every peer in its list and
// pushes its changes (and those it has from others: relaying) on that link; it accepts the
// links its peers dial and applies what they push. See outbound_link.hpp and inbound_link.hpp.
// Implements Quorum for --sync-replicas and GET /replication.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/address.hpp"
#include "common/result.hpp"
#include "common/tcp_server.hpp"
#include "web_server/replication/change_feed.hpp"
#include "web_server/replication/inbound_link.hpp"
#include "web_server/replication/link_timing.hpp"
#include "web_server/replication/outbound_link.hpp"
#include "web_server/replication/peer_table.hpp"
#include "web_server/replication/quorum.hpp"
#include "web_server/replication/stability.hpp"
#include "web_server/store/compactor.hpp"
#include "web_server/store/store.hpp"

namespace web::replication {

struct ReplicatorOptions {
  common::Address listen;          // where peers' links arrive (port 0: any)
  std::vector<std::string> peers;  // their listen addresses, host:port
  std::string secret;
  size_t sync_replicas = 0;  // K: a write waits for K peers' acknowledgement
  common::Millis sync_timeout{5000};
  common::Millis compact_interval{10000};  // how often what is stable is dropped (store/compactor)
  LinkTiming timing;
};

class Replicator final : public Quorum {
 public:
  // Binds the listener and registers with the store (call before the store takes writes);
  // starts no thread. Fails with e.g. "bind 127.0.0.1:7000: Address already in use".
  static common::Result<std::unique_ptr<Replicator>> open(store::Store& store,
                                                          ReplicatorOptions options);
  ~Replicator() override;  // stop()

  common::Address local_address() const;
  // Accepts links, dials every peer, compacts the store periodically. Fails with the
  // pthread_create error of the accepting thread.
  common::Status start();
  void stop();  // idempotent: cuts every link and joins every thread

  std::optional<std::string> refuse_write() const override;
  bool await_replicated(const store::Change& change) override;
  std::string status_json() const override;

 private:
  Replicator(store::Store& store, ReplicatorOptions options,
             std::unique_ptr<common::TcpServer> server);
  // What may go from the store now: the superseded changes every server holds, and the
  // tombstones older than the stability horizon (stability.hpp). nullopt until every peer has
  // been heard from.
  std::optional<store::Compaction> proof();
  // A peer that came back as a new origin leaves its old one silent for good: the old one's
  // final promise (nothing after the last seq anyone holds, ever) keeps the horizon moving. Kept
  // in the store, and passed on to every peer in PROGRESS.
  void retire_replaced(const store::Summary& ours);

  store::Store& store_;
  const ReplicatorOptions options_;
  const InboundContext inbound_;
  // Shared with the store's listener, which may outlive this object.
  const std::shared_ptr<ChangeFeed> feed_ = std::make_shared<ChangeFeed>();
  PeerTable peers_;
  Stability stability_;
  std::unique_ptr<common::TcpServer> server_;
  std::vector<std::unique_ptr<OutboundLink>> links_;
  std::unique_ptr<store::Compactor> compactor_;
};

}  // namespace web::replication

// What the KV API asks of replication for --sync-replicas K: whether a write may start, and
// waiting until K peers have stored it durably. Implemented by replication::Replicator; the KV
// API holds a pointer that is null when the server replicates to nobody.
#pragma once

#include <optional>
#include <string>

#include "web_server/store/version.hpp"

namespace web::replication {

class Quorum {
 public:
  virtual ~Quorum() = default;
  // Before the local commit: why the write must be refused now (fewer than K peers connected,
  // e.g. "1 of 2 required peers connected"), or nullopt. The KV API answers 503 + Retry-After.
  virtual std::optional<std::string> refuse_write() const = 0;
  // After the local commit: blocks until K peers acknowledged `change` as durably stored (true),
  // or the sync timeout passed (false: the KV API answers 504, outcome unknown). Returns true at
  // once when K is 0. Thread-safe; many connection threads wait at once.
  virtual bool await_replicated(const store::Change& change) = 0;
  // GET /replication: this server's id, each peer (address, connected, last heard, what it has
  // acknowledged per origin) and the lag per origin, as a JSON document.
  virtual std::string status_json() const = 0;
};

}  // namespace web::replication

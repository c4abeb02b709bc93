// The nemesis of a Jepsen-style run: a full mesh of fault proxies (one per directed replication
// link), and the thread that applies a schedule's faults to it and to the server processes.
// Every fault it starts it also heals, and heal_all() leaves every link passing and every server
// running, whatever the schedule was doing when it stopped. Each event is printed with its time,
// so a failing run can be read next to its history and replayed by seed.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "tests/integration/fault_proxy.hpp"
#include "tests/integration/history.hpp"
#include "tests/integration/nemesis_schedule.hpp"
#include "tests/integration/replica_cluster.hpp"

namespace harness {

// Proxy P[i][j] sits in front of server j's replication port, and is the peer server i dials
// for j: it carries i's changes to j and j's ACKs back. Construct before the servers start: it
// sets every server's --peers.
class LinkMesh {
 public:
  explicit LinkMesh(Cluster& cluster);
  FaultProxy& link(size_t from, size_t to) { return *links_[from][to]; }
  size_t size() const { return links_.size(); }
  void set_all(Fault fault);

 private:
  std::vector<std::vector<std::unique_ptr<FaultProxy>>> links_;  // null on the diagonal
};

// Prints "[   12.345s] what" for a run that began at `epoch`; thread-safe.
void log_event(const History& history, const std::string& what);

class Nemesis {
 public:
  Nemesis(Cluster& cluster, LinkMesh& mesh, const History& history)
      : cluster_(cluster), mesh_(mesh), history_(history) {}

  void apply(const FaultEvent& event);
  void heal(const FaultEvent& event);
  // Applies the events in order at their offsets from now, each healed when it ends; returns
  // early, healing the current one, once `stop` is requested. Call from one thread at a time.
  void run(const std::vector<FaultEvent>& events, std::stop_token stop);
  // Every link passing, every server running (continued or restarted).
  void heal_all();

 private:
  void set_links(const FaultEvent& event, Fault fault);
  // Waits until `until` or a stop request; false when stopped.
  bool wait_until(std::chrono::steady_clock::time_point until, std::stop_token stop);

  Cluster& cluster_;
  LinkMesh& mesh_;
  const History& history_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
};

}  // namespace harness

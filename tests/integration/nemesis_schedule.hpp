// A seeded, replayable fault schedule for a nemesis run: the same seed and server count give
// the same faults, in the same order, at the same offsets, so a failing run can be replayed
// with NEMESIS_SEED. Faults follow one another (never two at once); a third of the link faults
// last past the store's 10 s tombstone purge, the window in which a write and a delete of the
// same key on either side of the fault can diverge.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace harness {

enum class FaultKind {
  partition,    // blackhole every link between two groups of servers
  mute,         // a server's outgoing links blackholed (it still receives)
  deaf,         // the links into a server blackholed (it still sends)
  acks_lost,    // a server's changes arrive, its peers' ACKs do not come back
  acks_unsent,  // changes reach the server, its ACKs do not reach the peers
  slow,         // every link of a server delays each chunk
  flap,         // every link of a server reset, and refused while the fault lasts
  kill,         // SIGKILL, restarted on the same data dir when the fault ends
  pause,        // SIGSTOP, then SIGCONT
};

struct FaultEvent {
  double at = 0;        // seconds after the schedule starts
  double duration = 0;  // seconds
  FaultKind kind = FaultKind::partition;
  std::vector<size_t> servers;  // the target, or (partition) one side of the split
};
std::string describe(const FaultEvent& event);

// Faults for `seconds` of run time over `servers` servers.
std::vector<FaultEvent> make_schedule(uint64_t seed, size_t servers, double seconds);

// Clock offsets in seconds per server (0: the true clock): one server 2-4 s ahead, one 2-4 s
// behind, chosen by the seed.
std::vector<int> make_clock_offsets(uint64_t seed, size_t servers);

}  // namespace harness

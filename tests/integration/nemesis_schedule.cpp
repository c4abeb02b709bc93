#include "tests/integration/nemesis_schedule.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace harness {

namespace {

constexpr FaultKind kKinds[] = {FaultKind::partition, FaultKind::mute,        FaultKind::deaf,
                                FaultKind::acks_lost, FaultKind::acks_unsent, FaultKind::slow,
                                FaultKind::flap,      FaultKind::kill,        FaultKind::pause};

const char* name_of(FaultKind kind) {
  switch (kind) {
    case FaultKind::partition:
      return "partition";
    case FaultKind::mute:
      return "mute";
    case FaultKind::deaf:
      return "deaf";
    case FaultKind::acks_lost:
      return "acks-lost";
    case FaultKind::acks_unsent:
      return "acks-unsent";
    case FaultKind::slow:
      return "slow";
    case FaultKind::flap:
      return "flap";
    case FaultKind::kill:
      return "kill";
    case FaultKind::pause:
      return "pause";
  }
  return "?";
}

bool is_link_fault(FaultKind kind) { return kind != FaultKind::kill && kind != FaultKind::pause; }

// std::uniform_*_distribution differ between standard libraries; these do not, so a seed
// replays alike everywhere.
double uniform(std::mt19937_64& random, double low, double high) {
  return low + (high - low) * static_cast<double>(random() >> 11) / 9007199254740992.0;
}
size_t pick(std::mt19937_64& random, size_t n) { return static_cast<size_t>(random() % n); }

double duration_of(std::mt19937_64& random, FaultKind kind) {
  if (kind == FaultKind::pause) return uniform(random, 2, 5);
  if (kind == FaultKind::kill) return uniform(random, 1, 5);
  if (kind == FaultKind::flap) return uniform(random, 1, 4);
  return pick(random, 3) == 0 ? uniform(random, 11, 15) : uniform(random, 2, 7);
}

std::vector<size_t> targets(std::mt19937_64& random, FaultKind kind, size_t servers) {
  if (kind != FaultKind::partition) return {pick(random, servers)};
  std::vector<size_t> all(servers);
  std::iota(all.begin(), all.end(), size_t{0});
  for (size_t i = servers - 1; i > 0; --i) std::swap(all[i], all[pick(random, i + 1)]);
  all.resize(1 + pick(random, servers / 2));  // the smaller side: 1 .. servers/2
  std::sort(all.begin(), all.end());
  return all;
}

}  // namespace

std::string describe(const FaultEvent& event) {
  std::string servers;
  for (size_t s : event.servers) servers += (servers.empty() ? "s" : ",s") + std::to_string(s);
  char text[160];
  std::snprintf(text, sizeof text, "%s %s%s for %.1fs", name_of(event.kind),
                event.kind == FaultKind::partition ? "{" : "", servers.c_str(), event.duration);
  std::string out = text;
  if (event.kind == FaultKind::partition) out.insert(out.find(" for "), "}|rest");
  return out;
}

std::vector<FaultEvent> make_schedule(uint64_t seed, size_t servers, double seconds) {
  std::mt19937_64 random(seed);
  std::vector<FaultEvent> events;
  double at = uniform(random, 0.5, 2);
  while (at < seconds) {
    FaultEvent event;
    event.kind = kKinds[pick(random, std::size(kKinds))];
    event.duration = std::min(duration_of(random, event.kind), std::max(seconds - at, 1.0));
    event.servers = targets(random, event.kind, servers);
    event.at = at;
    events.push_back(event);
    // A pause between faults lets links come back, so the next fault starts from a healed mesh.
    at += event.duration + uniform(random, 0.5, is_link_fault(event.kind) ? 2 : 3);
  }
  return events;
}

std::vector<int> make_clock_offsets(uint64_t seed, size_t servers) {
  std::mt19937_64 random(seed ^ 0x636c6f636bULL);  // its own stream: the schedule stays alike
  std::vector<int> offsets(servers, 0);
  if (servers < 3) return offsets;
  const size_t ahead = pick(random, servers);
  const size_t behind = (ahead + 1 + pick(random, servers - 1)) % servers;
  offsets[ahead] = 2 + static_cast<int>(pick(random, 3));
  offsets[behind] = -(2 + static_cast<int>(pick(random, 3)));
  return offsets;
}

}  // namespace harness

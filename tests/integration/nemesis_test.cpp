// A Jepsen-style test of the replicated store: five servers, full mesh, every directed
// replication link through a fault proxy; clients write and delete a small key space while a
// seeded nemesis partitions, mutes, deafens, slows, resets, kills and pauses servers, some of
// them on clocks seconds off. Afterwards every fault is healed and the whole history is checked
// (history_checker.hpp). NEMESIS_SEED replays a run; NEMESIS_SECONDS sets the random phase's
// length (default 60). Every fault and the seed are printed, and every violation with its ops.
#include "tests/integration/nemesis.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/clock_offset.hpp"
#include "tests/integration/cluster.hpp"
#include "tests/integration/history_checker.hpp"
#include "tests/integration/kv_workload.hpp"

namespace harness {
namespace {

constexpr size_t kServers = 5;
constexpr uint64_t kDefaultSeed = 20250611;
// Past the store's tombstone purge interval (10 s): the window the purge bugs need.
constexpr double kPastPurgeSeconds = 12;
constexpr auto kHealTimeout = 90s;
// With every link up, digests that have not moved for this long will not move any more.
constexpr auto kQuiet = 15s;

uint64_t env_number(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  return text && *text ? std::strtoull(text, nullptr, 10) : fallback;
}

// Every server answers and reports every peer link connected.
bool all_links_up(Cluster& cluster) {
  for (size_t i = 0; i < cluster.size(); ++i) {
    const auto status = cluster.status(i);
    if (!status.is_object() || !status.contains("peers")) return false;
    for (const auto& peer : status["peers"]) {
      if (!peer.value("connected", false)) return false;
    }
  }
  return true;
}

// Waits (bounded) until the servers agree, or until they have been fully connected and
// unchanging for kQuiet: then they never will. Returns whether they agree.
bool settle(Cluster& cluster, const History& history) {
  const auto deadline = std::chrono::steady_clock::now() + kHealTimeout;
  std::vector<std::string> last;
  auto unchanged_since = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < deadline) {
    if (cluster.converged()) return true;
    std::vector<std::string> digests;
    for (size_t i = 0; i < cluster.size(); ++i) digests.push_back(cluster.digest(i));
    if (digests != last || !all_links_up(cluster))
      unchanged_since = std::chrono::steady_clock::now();
    last = digests;
    if (std::chrono::steady_clock::now() - unchanged_since > kQuiet) break;
    std::this_thread::sleep_for(200ms);  // polling interval, not a readiness wait
  }
  log_event(history, "servers did not converge; checking the state they settled in");
  return false;
}

FinalState read_final_state(Cluster& cluster, const std::vector<std::string>& keys) {
  FinalState state;
  state.keys = keys;
  for (size_t i = 0; i < cluster.size(); ++i) {
    auto& answers = state.servers.emplace_back();
    for (const auto& key : keys) {
      const Reply reply = http(cluster[i].http, "GET", "/kv/" + key);
      answers[key] = KeyState{reply.status, reply.status == 200 ? reply.body : "", reply.version};
    }
    state.digests.push_back(cluster.digest(i));
  }
  return state;
}

// Runs every check, prints every violation (the first 25 of each check in full) and the seed.
size_t report(const std::vector<Op>& history, const FinalState& final_state, uint64_t seed) {
  const std::vector<std::pair<const char*, std::vector<Violation>>> checks{
      {"convergence", check_convergence(final_state)},
      {"no lost or resurrected write", check_no_lost_writes(history, final_state)},
      {"read your write", check_read_your_writes(history)}};
  size_t total = 0;
  for (const auto& [name, violations] : checks) {
    std::printf("check %-30s %s (%zu violations)\n", name, violations.empty() ? "PASS" : "FAIL",
                violations.size());
    for (size_t i = 0; i < violations.size() && i < 25; ++i) {
      std::printf("  [%s] %s: %s\n", violations[i].check.c_str(), violations[i].key.c_str(),
                  violations[i].detail.c_str());
    }
    total += violations.size();
  }
  std::printf("nemesis seed %llu: %zu violations (replay: NEMESIS_SEED=%llu)\n",
              static_cast<unsigned long long>(seed), total, static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  return total;
}

// Counts of ops by kind and outcome, so a run that did little is visible as such.
void print_summary(const std::vector<Op>& history) {
  size_t counts[3][3] = {};
  for (const Op& op : history) {
    ++counts[static_cast<int>(op.kind)][static_cast<int>(op.outcome)];
  }
  for (OpKind kind : {OpKind::put, OpKind::del, OpKind::get}) {
    const auto* row = counts[static_cast<int>(kind)];
    std::printf("history: %-6s ok %zu, failed %zu, indeterminate %zu\n",
                std::string(to_string(kind)).c_str(), row[0], row[1], row[2]);
  }
}

class NemesisTest : public ::testing::Test {
 protected:
  // Gives the seed's clock offsets to the servers when libfaketime works with this build,
  // and says so either way; returns the offsets in force.
  std::vector<int> skew_clocks(uint64_t seed) {
    std::vector<int> offsets = make_clock_offsets(seed, cluster_.size());
    if (const auto problem = clock_offset_problem()) {
      std::printf("clock offsets DISABLED: %s\n", problem->c_str());
      return std::vector<int>(cluster_.size(), 0);
    }
    for (size_t i = 0; i < cluster_.size(); ++i) {
      if (offsets[i] != 0) cluster_[i].env = clock_offset_env(offsets[i]);
      std::printf("clock of s%zu: %+d s\n", i, offsets[i]);
    }
    return offsets;
  }

  void start_connected() {
    cluster_.start_all();
    ASSERT_TRUE(eventually([&] { return all_links_up(cluster_); }, 60s))
        << "the mesh did not come up";
  }

  Op scripted(OpKind kind, size_t server, const std::string& key, const std::string& value = "") {
    Op op = kv_request(kind, cluster_[server].http, server, key, value, 3s, history_.epoch());
    log_event(history_, "script: " + describe(op));
    history_.record(op);
    return op;
  }

  // The tracker's reproduction: with `faulty` cut off one way for longer than the purge
  // interval, a PUT on one side and a later DELETE of the same key on the other.
  void purge_race(FaultKind kind, size_t faulty, size_t other, const std::string& key) {
    const Op seeded = scripted(OpKind::put, other, key, key + "-initial");
    ASSERT_TRUE(eventually([&] {
      for (size_t i = 0; i < cluster_.size(); ++i) {
        if (cluster_.value(i, key) != seeded.value) return false;
      }
      return true;
    })) << key
        << " did not replicate";
    const FaultEvent event{0, kPastPurgeSeconds, kind, {faulty}};
    nemesis_.apply(event);
    // mute: the PUT stays on the faulty server; deaf: the DELETE does not reach it.
    const size_t put_on = kind == FaultKind::mute ? faulty : other;
    const size_t delete_on = kind == FaultKind::mute ? other : faulty;
    const Op put = scripted(OpKind::put, put_on, key, key + "-written");
    // The DELETE comes 0.2 s later, so that its version is the larger one.
    std::this_thread::sleep_for(200ms);
    const Op removed = scripted(OpKind::del, delete_on, key);
    if (version_order(removed.version) <= version_order(put.version)) {
      log_event(history_, "script: the DELETE did not get the larger version; no race here");
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(kPastPurgeSeconds));
    nemesis_.heal(event);
  }

  // Servers on the true clock, for the scripted steps (whose versions must follow real time).
  std::vector<size_t> true_clock_servers(const std::vector<int>& offsets) {
    std::vector<size_t> servers;
    for (size_t i = 0; i < offsets.size(); ++i) {
      if (offsets[i] == 0) servers.push_back(i);
    }
    return servers;
  }

  std::vector<std::string> addresses() {
    std::vector<std::string> out;
    for (size_t i = 0; i < cluster_.size(); ++i) out.push_back(cluster_[i].http);
    return out;
  }

  // Destroyed in reverse: the clients stop first, then the proxies, then the servers.
  Cluster cluster_{kServers};
  std::unique_ptr<LinkMesh> mesh_ = std::make_unique<LinkMesh>(cluster_);
  History history_{std::chrono::steady_clock::now()};
  Nemesis nemesis_{cluster_, *mesh_, history_};
  std::unique_ptr<Workload> workload_;
};

TEST_F(NemesisTest, NoAcknowledgedWriteIsLostOrResurrectedAndAllServersConverge) {
  const uint64_t seed = env_number("NEMESIS_SEED", kDefaultSeed);
  const double seconds = static_cast<double>(env_number("NEMESIS_SECONDS", 60));
  std::printf("nemesis seed %llu (replay: NEMESIS_SEED=%llu), random phase %.0f s\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed),
              seconds);
  const std::vector<int> offsets = skew_clocks(seed);
  ASSERT_NO_FATAL_FAILURE(start_connected());

  const auto steady = true_clock_servers(offsets);
  ASSERT_GE(steady.size(), 2u);
  purge_race(FaultKind::mute, steady[0], steady[1], "repro/mute");
  purge_race(FaultKind::deaf, steady[0], steady[1], "repro/deaf");

  const auto schedule = make_schedule(seed, cluster_.size(), seconds);
  for (const auto& event : schedule) {
    std::printf("schedule: +%.1fs %s\n", event.at, describe(event).c_str());
  }
  workload_ = std::make_unique<Workload>(addresses(), history_, WorkloadOptions{.seed = seed});
  nemesis_.run(schedule, std::stop_token());  // this thread is the nemesis; it ends by `seconds`
  workload_->stop();
  nemesis_.heal_all();
  settle(cluster_, history_);

  std::vector<std::string> keys = workload_keys(WorkloadOptions{}.keys);
  keys.insert(keys.end(), {"repro/mute", "repro/deaf"});
  const auto history = history_.snapshot();
  print_summary(history);
  EXPECT_EQ(report(history, read_final_state(cluster_, keys), seed), 0u)
      << "seed " << seed << " (replay: NEMESIS_SEED=" << seed << ")";
}

// The checker and the harness report nothing on runs without faults or clock offsets (with
// and without deletes), so a violation in the test above is the store's, not the test's.
class QuietNemesisTest : public NemesisTest, public ::testing::WithParamInterface<bool> {};

TEST_P(QuietNemesisTest, QuietRunHasNoViolations) {
  ASSERT_NO_FATAL_FAILURE(start_connected());
  workload_ = std::make_unique<Workload>(addresses(), history_,
                                         WorkloadOptions{.deletes = GetParam(), .seed = 7});
  std::this_thread::sleep_for(10s);  // the run's length, not a readiness wait
  workload_->stop();
  EXPECT_TRUE(settle(cluster_, history_));
  const auto history = history_.snapshot();
  print_summary(history);
  EXPECT_EQ(report(history, read_final_state(cluster_, workload_keys(16)), 7), 0u);
}

INSTANTIATE_TEST_SUITE_P(NemesisTest, QuietNemesisTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& run) {
                           return run.param ? "Deletes" : "PutsOnly";
                         });

}  // namespace
}  // namespace harness

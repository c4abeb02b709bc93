// Members at runtime: web_servers whose peers come from --peers-file, re-read on SIGHUP. A peer
// added is dialled and receives everything; one removed is let go, its origin retired by every
// member, and its tombstones no longer held back; when it comes back with its old data it is
// refused, and with an empty data folder it rejoins as a new origin. A bad file changes nothing.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/cluster.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/replica_cluster.hpp"

namespace harness {
namespace {

using namespace std::chrono_literals;

// Writes server i's peers file listing the replication addresses of `members` (comments and
// blank lines included, as an operator writes it).
void list_peers(Cluster& cluster, size_t i, const std::vector<size_t>& members) {
  std::string text = "# peers of " + cluster[i].name + "\n\n";
  for (const size_t member : members)
    text += cluster[member].repl + "  # " + cluster[member].name + "\n";
  cluster[i].peers_file = cluster.write_file(cluster[i].name + ".peers", text);
}

// Every link server i dials is up, so it knows each member's origin.
bool all_linked(Cluster& cluster, size_t i) {
  const nlohmann::json status = cluster.status(i);
  if (!status.is_object()) return false;
  for (const auto& peer : status["peers"]) {
    if (peer["connected"] != true) return false;
  }
  return true;
}

size_t peer_count(Cluster& cluster, size_t i) {
  const nlohmann::json status = cluster.status(i);
  return status.is_object() ? status["peers"].size() : 0;
}

bool retired(Cluster& cluster, size_t i, const std::string& origin) {
  const nlohmann::json status = cluster.status(i);
  return status.is_object() && status["retired"].contains(origin);
}

uint64_t tombstones_dropped(Cluster& cluster, size_t i) {
  const nlohmann::json status = cluster.status(i);
  if (!status.is_object() || !status.contains("compaction")) return 0;
  return status["compaction"].value("tombstones_dropped", uint64_t{0});
}

bool logged(Cluster& cluster, size_t i, const std::string& text) {
  return cluster[i].process->err().find(text) != std::string::npos;
}

TEST(MembershipTest, APeerAddedToThePeersFileOnSighupIsDialledAndReceivesEverything) {
  Cluster cluster(3);
  list_peers(cluster, 0, {1});
  list_peers(cluster, 1, {0});
  list_peers(cluster, 2, {0, 1});
  cluster.start(0);
  cluster.start(1);
  ASSERT_TRUE(is_2xx(http(cluster[0].http, "PUT", "/kv/before", "1").status));
  ASSERT_TRUE(eventually([&] { return cluster.converged({0, 1}); }, 30s));
  cluster.start(2);
  EXPECT_EQ(peer_count(cluster, 0), 1u);

  list_peers(cluster, 0, {1, 2});
  list_peers(cluster, 1, {0, 2});
  cluster[0].process->signal(SIGHUP);
  cluster[1].process->signal(SIGHUP);
  EXPECT_TRUE(eventually([&] { return logged(cluster, 0, ": 1 added, 0 removed, 1 kept"); }, 30s))
      << cluster[0].process->err();
  EXPECT_TRUE(eventually([&] { return cluster.converged(); }, 30s));
  EXPECT_EQ(cluster.value(2, "before"), "1");
  EXPECT_EQ(peer_count(cluster, 0), 2u);
  ASSERT_TRUE(is_2xx(http(cluster[2].http, "PUT", "/kv/from-new", "2").status));
  EXPECT_TRUE(eventually([&] { return cluster.value(0, "from-new") == "2"; }, 30s));
}

TEST(MembershipTest, ABadPeersFileChangesNothingAndIsLogged) {
  Cluster cluster(2);
  list_peers(cluster, 0, {1});
  list_peers(cluster, 1, {0});
  cluster.start_all();
  ASSERT_TRUE(eventually([&] { return cluster.converged(); }, 30s));
  cluster.write_file(cluster[0].name + ".peers", cluster[1].repl + "\nnot-an-address\n");
  cluster[0].process->signal(SIGHUP);
  EXPECT_TRUE(eventually([&] { return logged(cluster, 0, ".peers:2: "); }, 30s))
      << cluster[0].process->err();
  EXPECT_TRUE(logged(cluster, 0, "; nothing changed"));
  EXPECT_EQ(peer_count(cluster, 0), 1u);
  ASSERT_TRUE(is_2xx(http(cluster[0].http, "PUT", "/kv/still", "linked").status));
  EXPECT_TRUE(eventually([&] { return cluster.value(1, "still") == "linked"; }, 30s));
}

// r2 goes down for good. While it is a member its absence holds every tombstone back; once the
// others remove it, they retire its origin and the delete made meanwhile becomes stable. r2 back
// with its old data is refused by both; back with an empty data folder, it rejoins.
TEST(MembershipTest, ARemovedServerStopsHoldingTombstonesAndComesBackOnlyAsANewOrigin) {
  Cluster cluster(3);
  for (size_t i = 0; i < 3; ++i) {
    list_peers(cluster, i,
               i == 0   ? std::vector<size_t>{1, 2}
               : i == 1 ? std::vector<size_t>{0, 2}
                        : std::vector<size_t>{0, 1});
    cluster[i].extra = {"--compact-interval", "100ms"};
  }
  cluster.start_all();
  for (size_t i = 0; i < 3; ++i)
    ASSERT_TRUE(eventually([&] { return all_linked(cluster, i); }, 30s));
  ASSERT_TRUE(is_2xx(http(cluster[2].http, "PUT", "/kv/doomed", "old").status));
  ASSERT_TRUE(eventually([&] { return cluster.converged(); }, 30s));
  const std::string r2_origin = cluster.status(2)["id"];
  cluster.kill(2);
  ASSERT_EQ(http(cluster[0].http, "DELETE", "/kv/doomed").status, 204);
  ASSERT_TRUE(eventually([&] { return cluster.converged({0, 1}); }, 30s));
  const uint64_t dropped_before = tombstones_dropped(cluster, 0);

  list_peers(cluster, 0, {1});
  list_peers(cluster, 1, {0});
  cluster[0].process->signal(SIGHUP);
  cluster[1].process->signal(SIGHUP);
  EXPECT_TRUE(eventually([&] { return retired(cluster, 0, r2_origin); }, 30s))
      << cluster.status(0).dump();
  EXPECT_TRUE(eventually([&] { return retired(cluster, 1, r2_origin); }, 30s));
  EXPECT_TRUE(eventually([&] { return tombstones_dropped(cluster, 0) > dropped_before; }, 30s))
      << cluster.status(0).dump();
  EXPECT_EQ(peer_count(cluster, 0), 1u);

  // Back with what it had, listed again by r0: both refuse it, and nothing of it comes back.
  list_peers(cluster, 0, {1, 2});
  cluster[0].process->signal(SIGHUP);
  cluster.start(2);
  ASSERT_TRUE(is_2xx(http(cluster[2].http, "PUT", "/kv/while-out", "x").status));
  EXPECT_TRUE(
      eventually([&] { return logged(cluster, 0, "origin " + r2_origin + " is retired"); }, 30s))
      << cluster[0].process->err();
  EXPECT_TRUE(
      eventually([&] { return logged(cluster, 1, "origin " + r2_origin + " is retired"); }, 30s))
      << cluster[1].process->err();
  EXPECT_EQ(cluster.value(0, "doomed"), "<404>");
  EXPECT_EQ(cluster.value(1, "doomed"), "<404>");
  EXPECT_EQ(cluster.value(0, "while-out"), "<404>");

  // With an empty data folder it is a new origin, and a member again.
  cluster.kill(2);
  std::filesystem::remove_all(cluster[2].dir);
  list_peers(cluster, 1, {0, 2});
  cluster[1].process->signal(SIGHUP);
  cluster.start(2);
  EXPECT_TRUE(eventually([&] { return cluster.converged(); }, 30s));
  EXPECT_EQ(cluster.value(2, "doomed"), "<404>");
  ASSERT_TRUE(is_2xx(http(cluster[2].http, "PUT", "/kv/rejoined", "y").status));
  EXPECT_TRUE(eventually([&] { return cluster.value(0, "rejoined") == "y"; }, 30s));
}

uint64_t compaction_passes(Cluster& cluster, size_t i) {
  const nlohmann::json status = cluster.status(i);
  if (!status.is_object() || !status.contains("compaction")) return 0;
  return status["compaction"].value("passes", uint64_t{0});
}

// r0 restarts after r1 went down, so no link tells it r1's origin; it remembered it.
TEST(MembershipTest, AServerRemovedWhileDownIsRetiredAlsoAfterARestartOfTheOneRemovingIt) {
  Cluster cluster(2);
  list_peers(cluster, 0, {1});
  list_peers(cluster, 1, {0});
  for (size_t i = 0; i < 2; ++i) cluster[i].extra = {"--compact-interval", "100ms"};
  cluster.start_all();
  ASSERT_TRUE(eventually([&] { return all_linked(cluster, 0); }, 30s));
  const uint64_t passes = compaction_passes(cluster, 0);
  ASSERT_TRUE(eventually([&] { return compaction_passes(cluster, 0) > passes + 1; }, 30s));
  const std::string r1_origin = cluster.status(1)["id"];
  cluster.kill(1);
  cluster.kill(0);
  cluster.start(0);
  ASSERT_EQ(cluster.status(0)["peers"][0]["origin"], nullptr) << "no link came up since";
  list_peers(cluster, 0, {});
  cluster[0].process->signal(SIGHUP);
  EXPECT_TRUE(eventually([&] { return retired(cluster, 0, r1_origin); }, 30s))
      << cluster.status(0).dump() << cluster[0].process->err();
}

}  // namespace
}  // namespace harness

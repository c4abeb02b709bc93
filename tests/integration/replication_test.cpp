// Replication between real web_server processes on loopback: convergence under concurrent
// writes, a server killed and restarted, a partition healed, conflicting writes, --sync-replicas,
// hostile bytes on the replication port, and a man in the middle altering a link's frames.
#include <signal.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/socket.hpp"
#include "tests/integration/cluster.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/fault_proxy.hpp"
#include "tests/integration/man_in_the_middle.hpp"
#include "tests/integration/replica_cluster.hpp"

namespace harness {
namespace {

TEST(ReplicationTest, FourServersConvergeUnderConcurrentPutsAndDeletes) {
  Cluster cluster(4);
  cluster.full_mesh();
  cluster.start_all();
  std::string backends;
  for (size_t i = 0; i < cluster.size(); ++i) backends += (i ? "," : "") + cluster[i].http;
  Process balancer({exe("load_balancer"), "--mode", "http", "--listen", "127.0.0.1:0",
                    "--backends", backends});
  const std::string via_balancer = balancer.wait_listening();
  ASSERT_FALSE(via_balancer.empty()) << balancer.err();

  std::atomic<int> failures{0};
  auto writer = [&](std::string address, int id) {
    for (int j = 0; j < 60; ++j) {
      const std::string key = "/kv/k" + std::to_string((j * 7 + id) % 15);
      const Reply reply = j % 5 == 4 ? http(address, "DELETE", key)
                                     : http(address, "PUT", key, std::to_string(id * 1000 + j));
      if (!is_2xx(reply.status) && reply.status != 404) ++failures;
    }
  };
  std::vector<std::thread> writers;
  for (size_t i = 0; i < cluster.size(); ++i) {
    writers.emplace_back(writer, cluster[i].http, static_cast<int>(i));
    writers.emplace_back(writer, cluster[i].http, static_cast<int>(i + 10));
  }
  writers.emplace_back(writer, via_balancer, 99);
  for (auto& thread : writers) thread.join();
  EXPECT_EQ(failures, 0);

  EXPECT_TRUE(eventually([&] { return cluster.converged(); }, 30s));
  const std::string list = http(cluster[0].http, "GET", "/kv?limit=1000").body;
  EXPECT_NE(list.find("\"k"), std::string::npos) << list;
  for (size_t i = 1; i < cluster.size(); ++i) {
    EXPECT_EQ(http(cluster[i].http, "GET", "/kv?limit=1000").body, list) << cluster[i].name;
  }
}

TEST(ReplicationTest, KilledServerCatchesUpAndLosesNothingItAcknowledged) {
  Cluster cluster(3);
  cluster.full_mesh();
  cluster.start_all();
  std::mutex mutex;
  std::map<std::string, std::string> acknowledged;  // key -> value, from every 2xx PUT
  auto writer = [&](size_t node, const std::string& prefix, int count) {
    for (int j = 0; j < count; ++j) {
      const std::string key = prefix + std::to_string(j);
      if (is_2xx(http(cluster[node].http, "PUT", "/kv/" + key, key + "=v").status)) {
        std::lock_guard lock(mutex);
        acknowledged[key] = key + "=v";
      }
    }
  };
  std::thread to_victim(writer, 2, "victim/", 400);
  std::thread to_other(writer, 0, "other/", 100);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return acknowledged.size() >= 40;
  }));
  cluster.kill(2);  // during the writes
  to_victim.join();
  to_other.join();
  writer(1, "while-down/", 30);
  cluster.start(2);

  EXPECT_TRUE(eventually([&] { return cluster.converged(); }, 30s));
  for (const auto& [key, value] : acknowledged) {
    for (size_t i = 0; i < cluster.size(); ++i) {
      ASSERT_EQ(cluster.value(i, key), value) << key << " on " << cluster[i].name;
    }
  }
}

TEST(ReplicationTest, PartitionHealsAndTheLargerVersionWinsEverywhere) {
  Cluster cluster(3);
  // r2 reaches its peers, and they reach it, only through proxies the test can cut.
  FaultProxy to_r2_from_r0(cluster[2].repl), to_r2_from_r1(cluster[2].repl);
  FaultProxy from_r2_to_r0(cluster[0].repl), from_r2_to_r1(cluster[1].repl);
  std::vector<FaultProxy*> cutters{&to_r2_from_r0, &to_r2_from_r1, &from_r2_to_r0, &from_r2_to_r1};
  cluster[0].peers = {cluster[1].repl, to_r2_from_r0.address()};
  cluster[1].peers = {cluster[0].repl, to_r2_from_r1.address()};
  cluster[2].peers = {from_r2_to_r0.address(), from_r2_to_r1.address()};
  cluster.start_all();
  ASSERT_TRUE(is_2xx(http(cluster[0].http, "PUT", "/kv/before", "x").status));
  ASSERT_TRUE(eventually([&] { return cluster.converged(); }, 30s));

  for (FaultProxy* cutter : cutters) cutter->set(Fault::reset);
  std::map<std::string, std::pair<std::string, std::string>> written;  // key -> (a, b) versions
  for (int k = 0; k < 10; ++k) {
    const std::string key = "p/" + std::to_string(k);
    const size_t first = k % 2 ? 0 : 2;  // the side written first alternates
    const Reply one = http(cluster[first].http, "PUT", "/kv/" + key, "from " + cluster[first].name);
    const Reply two = http(cluster[2 - first].http, "PUT", "/kv/" + key,
                           "from " + cluster[2 - first].name);
    ASSERT_TRUE(is_2xx(one.status) && is_2xx(two.status)) << one.raw << two.raw;
    written[key] = first == 0 ? std::pair{one.version, two.version}
                              : std::pair{two.version, one.version};
  }
  // r1 sees r0's side while r2, cut off, keeps its own.
  ASSERT_TRUE(eventually([&] { return cluster.converged({0, 1}); }, 30s));
  EXPECT_FALSE(cluster.converged({0, 2}));
  EXPECT_EQ(cluster.value(2, "p/0"), "from r2");

  for (FaultProxy* cutter : cutters) cutter->set(Fault::pass);
  EXPECT_TRUE(eventually([&] { return cluster.converged(); }, 30s));
  for (const auto& [key, versions] : written) {
    const bool r0_wins = version_order(versions.first) > version_order(versions.second);
    for (size_t i = 0; i < cluster.size(); ++i) {
      const Reply reply = http(cluster[i].http, "GET", "/kv/" + key);
      EXPECT_EQ(reply.body, r0_wins ? "from r0" : "from r2") << key << " on " << cluster[i].name;
      EXPECT_EQ(reply.version, r0_wins ? versions.first : versions.second);
    }
  }
}

TEST(ReplicationTest, ConcurrentWritesToOneKeyKeepTheLargerVersionEverywhere) {
  Cluster cluster(3);
  cluster.full_mesh();
  cluster.start_all();
  std::mutex mutex;
  std::vector<std::pair<std::string, std::string>> acknowledged;  // (version, value)
  auto writer = [&](size_t node) {
    for (int j = 0; j < 40; ++j) {
      const std::string value = cluster[node].name + "-" + std::to_string(j);
      const Reply reply = http(cluster[node].http, "PUT", "/kv/contested", value);
      if (!is_2xx(reply.status)) continue;
      std::lock_guard lock(mutex);
      acknowledged.emplace_back(reply.version, value);
    }
  };
  std::thread a(writer, 0), b(writer, 1);
  a.join();
  b.join();
  ASSERT_EQ(acknowledged.size(), 80u);
  const auto winner = *std::max_element(
      acknowledged.begin(), acknowledged.end(),
      [](const auto& x, const auto& y) { return version_order(x.first) < version_order(y.first); });
  EXPECT_TRUE(eventually([&] { return cluster.converged(); }, 30s));
  for (size_t i = 0; i < cluster.size(); ++i) {
    const Reply reply = http(cluster[i].http, "GET", "/kv/contested");
    EXPECT_EQ(reply.version, winner.first) << cluster[i].name;
    EXPECT_EQ(reply.body, winner.second) << cluster[i].name;
  }
}

TEST(ReplicationTest, SyncReplicasAcknowledgesOnlyWhatAPeerStored) {
  Cluster cluster(2);
  cluster.full_mesh();
  cluster[0].extra = {"--sync-replicas", "1", "--sync-timeout", "10s"};
  cluster.start_all();
  ASSERT_TRUE(eventually(
      [&] { return is_2xx(http(cluster[0].http, "PUT", "/kv/probe", "1").status); }, 30s));

  std::mutex mutex;
  std::vector<std::string> acknowledged;
  std::thread writer([&] {
    for (int j = 0; j < 300; ++j) {
      const std::string key = "s/" + std::to_string(j);
      if (!is_2xx(http(cluster[0].http, "PUT", "/kv/" + key, "v").status)) return;
      std::lock_guard lock(mutex);
      acknowledged.push_back(key);
    }
  });
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return acknowledged.size() >= 30;
  }));
  cluster.kill(0);
  writer.join();
  for (const auto& key : acknowledged) {
    ASSERT_EQ(cluster.value(1, key), "v") << key << " was acknowledged, yet the survivor lacks it";
  }

  // With its only peer down, r0 refuses writes rather than accept them unreplicated. A write
  // made before r0 noticed the kill may instead wait out --sync-timeout (504, stored locally,
  // outcome unknown), so each attempt writes its own key and only the refused one is checked.
  cluster.start(0);
  cluster.kill(1);
  Reply refused;
  std::string refused_key;
  int attempt = 0;
  ASSERT_TRUE(eventually([&] {
    refused_key = "lonely/" + std::to_string(attempt++);
    refused = http(cluster[0].http, "PUT", "/kv/" + refused_key, "v");
    return refused.status == 503;
  }, 60s)) << refused.raw;
  EXPECT_FALSE(field_of(refused.raw, "retry-after").empty()) << refused.raw;
  EXPECT_EQ(cluster.value(0, refused_key), "<404>");
}

// Sends `bytes` as a peer would, ends its side (so a partial frame is truncated, not pending),
// and waits until the server drops the link.
void send_and_close(const std::string& address, const std::string& bytes) {
  auto fd = common::connect_tcp(*common::parse_address(address), 10s);
  ASSERT_TRUE(fd) << fd.error().message;
  ASSERT_TRUE(common::set_io_timeouts(*fd, 10s, 10s));
  ASSERT_TRUE(common::send_all(*fd, bytes));
  ::shutdown(fd->get(), SHUT_WR);
  char buffer[256];
  for (auto n = common::recv_some(*fd, buffer, sizeof buffer); n && *n > 0;
       n = common::recv_some(*fd, buffer, sizeof buffer)) {
  }
}

std::string frame(int type, const std::string& payload) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>(payload.size() >> shift));
  }
  out.push_back(static_cast<char>(type));
  return out + payload;
}

// A CHANGE frame for key "planted" as a peer would send it, only without authenticating first.
std::string planted_change() {
  std::string payload(8, '\x01');     // origin
  payload += std::string(7, '\0') + "\x01";  // seq 1
  payload += std::string(2, '\0') + std::string(6, '\x7f');  // hlc
  payload += std::string("\0\x07", 2) + "planted";
  payload += std::string("\x01\0\0\0\x01", 5) + "x";
  return frame(5, payload);
}

size_t count_of(const std::string& text, const std::string& part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

// r0 streams to r1 through a man in the middle. Each way of altering one CHANGE frame after the
// handshake makes r1 drop the link with a log line before applying anything from it; once the
// frames pass faithfully again, the link comes back and the change arrives as r0 wrote it.
TEST(ReplicationTest, TamperedFramesDropTheLinkAndLeaveTheStoreUntouched) {
  Cluster cluster(2);
  ManInTheMiddle mitm(cluster[1].repl);
  cluster[0].peers = {mitm.address()};
  cluster[1].peers = {cluster[0].repl};
  cluster.start_all();
  for (const Tamper tamper : {Tamper::flip, Tamper::drop, Tamper::replay, Tamper::inject}) {
    const std::string name = to_string(tamper);
    // A faithful change first: the link is up, and a replay has an earlier frame to send.
    ASSERT_TRUE(is_2xx(http(cluster[0].http, "PUT", "/kv/" + name + "/before", "b").status));
    ASSERT_TRUE(eventually([&] { return cluster.value(1, name + "/before") == "b"; }, 30s))
        << name << "\n" << cluster[1].process->err();
    const std::string before = cluster.digest(1);
    const size_t failures = count_of(cluster[1].process->err(), "fails authentication");

    mitm.arm(tamper);
    ASSERT_TRUE(is_2xx(http(cluster[0].http, "PUT", "/kv/" + name + "/key", "value").status));
    ASSERT_TRUE(eventually([&] {
      return count_of(cluster[1].process->err(), "fails authentication") > failures;
    }, 30s)) << name << "\n" << cluster[1].process->err();
    EXPECT_TRUE(mitm.tampered()) << name;
    EXPECT_NE(cluster[1].process->err().find(") ended: frame "), std::string::npos) << name;
    EXPECT_EQ(cluster.digest(1), before) << name;
    EXPECT_EQ(cluster.value(1, name + "/key"), "<404>") << name;

    mitm.restore();
    EXPECT_TRUE(eventually([&] { return cluster.converged(); }, 30s)) << name;
    EXPECT_EQ(cluster.value(1, name + "/key"), "value") << name;
  }
  // Nothing but what the test wrote, as it wrote it.
  const Reply listed = http(cluster[1].http, "GET", "/kv");
  const auto items = nlohmann::json::parse(listed.body, nullptr, false)["items"];
  std::map<std::string, std::string> stored;
  for (const auto& item : items) {
    stored[item["key"]] = item["value"].is_string() ? item["value"].get<std::string>() : item.dump();
  }
  std::map<std::string, std::string> written;
  for (const char* round : {"flip", "drop", "replay", "inject"}) {
    written[std::string(round) + "/before"] = "b";
    written[std::string(round) + "/key"] = "value";
  }
  EXPECT_EQ(stored, written) << listed.body;
}

// The other way: an ACK altered on its way back makes the dialer drop the link (a forged ACK
// could otherwise claim a peer stored what it never saw).
TEST(ReplicationTest, TamperedAckDropsTheLinkOnTheDialer) {
  Cluster cluster(2);
  ManInTheMiddle mitm(cluster[1].repl);
  cluster[0].peers = {mitm.address()};
  cluster[1].peers = {cluster[0].repl};
  cluster.start_all();
  ASSERT_TRUE(is_2xx(http(cluster[0].http, "PUT", "/kv/before", "b").status));
  ASSERT_TRUE(eventually([&] { return cluster.converged(); }, 30s));
  mitm.arm(Tamper::flip, Stream::acks);
  ASSERT_TRUE(is_2xx(http(cluster[0].http, "PUT", "/kv/key", "value").status));
  const std::string line = "link to " + mitm.address() + ": frame ";
  ASSERT_TRUE(eventually([&] {
    const std::string err = cluster[0].process->err();
    const size_t at = err.find(line);
    return at != std::string::npos &&
           err.find("(ACK) fails authentication", at) != std::string::npos;
  }, 30s)) << cluster[0].process->err();
  mitm.restore();
  EXPECT_TRUE(eventually([&] { return cluster.converged(); }, 30s));
  EXPECT_EQ(cluster.value(1, "key"), "value");
}

TEST(ReplicationTest, HostileBytesAndAWrongSecretLeaveTheStoreUntouched) {
  Cluster cluster(2);
  cluster.full_mesh();
  Node& stranger = cluster.add("stranger");
  stranger.secret_file = cluster.write_file("other-secret", "not the cluster's secret");
  stranger.peers = {cluster[0].repl};
  cluster[0].peers.push_back(stranger.repl);
  cluster.start_all();
  ASSERT_TRUE(is_2xx(http(cluster[0].http, "PUT", "/kv/before", "x").status));
  ASSERT_TRUE(is_2xx(http(stranger.http, "PUT", "/kv/intruder", "x").status));
  ASSERT_TRUE(eventually([&] { return cluster.converged({0, 1}); }, 30s));
  const std::string before = cluster.digest(0);

  const std::vector<std::pair<std::string, std::string>> hostile{
      {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "frame length over the maximum"},
      {std::string("\x7f\xff\xff\xff\x01", 5), "frame length over the maximum"},
      {frame(1, std::string(40, 'h')).substr(0, 20), "truncated frame"},
      {planted_change(), "expected HELLO, got CHANGE"},
      {std::string("\0\0\0\0\x63", 5), "unknown frame type"},
  };
  for (const auto& [bytes, reason] : hostile) {
    send_and_close(cluster[0].repl, bytes);
  }
  for (const auto& [bytes, reason] : hostile) {
    EXPECT_TRUE(eventually([&, r = reason] {
      return cluster[0].process->err().find("before authentication: " + r) != std::string::npos;
    })) << reason << "\n" << cluster[0].process->err();
  }
  EXPECT_TRUE(eventually([&] {
    return cluster[0].process->err().find("link to " + stranger.repl + ": wrong secret") !=
           std::string::npos;
  })) << cluster[0].process->err();

  EXPECT_EQ(cluster.digest(0), before);
  EXPECT_EQ(cluster.value(0, "planted"), "<404>");
  EXPECT_EQ(cluster.value(0, "intruder"), "<404>");
  // Still serving, and still replicating with the peer that knows the secret.
  ASSERT_TRUE(is_2xx(http(cluster[1].http, "PUT", "/kv/after", "y").status));
  EXPECT_TRUE(eventually([&] { return cluster.value(0, "after") == "y"; }, 30s));
}

// What GET /replication says of the store's compaction, e.g. "tombstones_dropped".
uint64_t compaction(Cluster& cluster, size_t i, const std::string& field) {
  const auto status = cluster.status(i);
  if (!status.is_object() || !status.contains("compaction")) return 0;
  return status["compaction"].value(field, uint64_t{0});
}

void compact_often(Cluster& cluster) {
  for (size_t i = 0; i < cluster.size(); ++i) {
    cluster[i].extra = {"--compact-interval", "100ms"};
  }
}

// The tracker's reproduction: r0 cannot reach its peers (mute) or they cannot reach it (deaf)
// while it overwrites a key that r1 deletes just after, for many compaction passes. Once healed,
// the delete, the larger version, holds everywhere; the tombstone goes only after that.
class OneWayLinkTest : public testing::TestWithParam<bool> {};

TEST_P(OneWayLinkTest, AnOlderWriteNeverResurrectsAKeyDeletedMeanwhile) {
  const bool mute = GetParam();
  Cluster cluster(3);
  compact_often(cluster);
  FaultProxy r0_to_r1(cluster[1].repl), r0_to_r2(cluster[2].repl);
  FaultProxy r1_to_r0(cluster[0].repl), r2_to_r0(cluster[0].repl);
  cluster[0].peers = {r0_to_r1.address(), r0_to_r2.address()};
  cluster[1].peers = {r1_to_r0.address(), cluster[2].repl};
  cluster[2].peers = {r2_to_r0.address(), cluster[1].repl};
  cluster.start_all();
  ASSERT_TRUE(is_2xx(http(cluster[0].http, "PUT", "/kv/k", "first").status));
  ASSERT_TRUE(eventually([&] { return cluster.converged(); }, 30s));
  std::vector<FaultProxy*> cut = mute ? std::vector{&r0_to_r1, &r0_to_r2}
                                      : std::vector{&r1_to_r0, &r2_to_r0};
  for (FaultProxy* proxy : cut) proxy->set(Fault::blackhole);

  const Reply put = http(cluster[0].http, "PUT", "/kv/k", "older");
  ASSERT_EQ(put.status, 200) << put.raw;
  std::this_thread::sleep_for(200ms);  // the delete must carry the larger version
  const Reply removed = http(cluster[1].http, "DELETE", "/kv/k");
  ASSERT_EQ(removed.status, 204) << removed.raw;
  ASSERT_GT(version_order(removed.version), version_order(put.version));
  const uint64_t passes = compaction(cluster, 1, "passes");
  ASSERT_TRUE(eventually([&] { return compaction(cluster, 1, "passes") >= passes + 20; }, 30s));
  EXPECT_EQ(compaction(cluster, 1, "tombstones_dropped"), 0u) << "r0's write may still come";

  for (FaultProxy* proxy : cut) proxy->set(Fault::pass);
  EXPECT_TRUE(eventually([&] { return cluster.converged(); }, 30s));
  for (size_t i = 0; i < cluster.size(); ++i) {
    EXPECT_EQ(cluster.value(i, "k"), "<404>") << cluster[i].name;
  }
  // Stable now: the tombstone goes everywhere, and nothing comes back.
  for (size_t i = 0; i < cluster.size(); ++i) {
    EXPECT_TRUE(eventually([&] { return compaction(cluster, i, "tombstones_dropped") >= 1; }, 30s))
        << cluster[i].name << ": " << cluster.status(i).dump();
    EXPECT_EQ(cluster.value(i, "k"), "<404>") << cluster[i].name;
  }
}

INSTANTIATE_TEST_SUITE_P(Ways, OneWayLinkTest, testing::Values(true, false),
                         [](const testing::TestParamInfo<bool>& param_info) {
                           return param_info.param ? "Mute" : "Deaf";
                         });

TEST(ReplicationTest, AWipedServerCatchesUpOnTheLiveKeysAndItsOldOriginRetires) {
  Cluster cluster(2);
  compact_often(cluster);
  cluster.full_mesh();
  cluster.start_all();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(is_2xx(http(cluster[0].http, "PUT", "/kv/hot", std::to_string(i)).status));
  }
  ASSERT_TRUE(is_2xx(http(cluster[0].http, "PUT", "/kv/gone", "x").status));
  ASSERT_EQ(http(cluster[0].http, "DELETE", "/kv/gone").status, 204);
  ASSERT_TRUE(is_2xx(http(cluster[1].http, "PUT", "/kv/from-r1", "y").status));
  ASSERT_TRUE(eventually([&] { return cluster.converged(); }, 30s));
  ASSERT_TRUE(eventually([&] { return compaction(cluster, 0, "tombstones_dropped") >= 1; }, 30s))
      << cluster.status(0).dump();

  cluster.kill(1);
  std::filesystem::remove_all(cluster[1].dir);
  cluster.start(1);  // a new origin, with nothing
  EXPECT_TRUE(eventually([&] { return cluster.converged(); }, 30s));
  EXPECT_EQ(cluster.value(1, "hot"), "49");
  EXPECT_EQ(cluster.value(1, "gone"), "<404>");
  EXPECT_EQ(cluster.value(1, "from-r1"), "y");
  // It takes part again: its writes reach r0, and deletes still become stable and go.
  ASSERT_TRUE(is_2xx(http(cluster[1].http, "PUT", "/kv/after", "z").status));
  ASSERT_EQ(http(cluster[1].http, "DELETE", "/kv/from-r1").status, 204);
  EXPECT_TRUE(eventually([&] { return cluster.converged(); }, 30s));
  const uint64_t dropped = compaction(cluster, 0, "tombstones_dropped");
  EXPECT_TRUE(eventually([&] { return compaction(cluster, 0, "tombstones_dropped") > dropped; },
                         30s))
      << cluster.status(0).dump();
  EXPECT_EQ(cluster.value(0, "from-r1"), "<404>");
}

}  // namespace
}  // namespace harness

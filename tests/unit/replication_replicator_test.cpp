// Replicators with real stores in temp folders, linked over loopback inside one process.
#include "web_server/replication/replicator.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/fd.hpp"
#include "tests/unit/net_test_support.hpp"
#include "tests/unit/temp_dir.hpp"

namespace web::replication {
namespace {

using namespace std::chrono_literals;

// A port on loopback that nothing listens on (bound once, then released), so that every
// node's peer list can be written before any node starts.
std::string free_address() {
  const common::Fd listener = net_test::listener();
  return net_test::address_of(listener).to_string();
}

struct Node {
  test_support::TempDir dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<Replicator> replicator;

  Node(const std::string& listen, std::vector<std::string> peers, size_t sync_replicas = 0) {
    auto opened = store::Store::open({.path = (dir.path() / "store.db").string()});
    if (!opened) throw std::runtime_error(opened.error().message);
    store = std::move(*opened);
    start(listen, std::move(peers), sync_replicas);
  }

  void start(const std::string& listen, std::vector<std::string> peers, size_t sync_replicas) {
    ReplicatorOptions options;
    options.listen = *common::parse_address(listen);
    options.peers = std::move(peers);
    options.secret = "unit-test secret";
    options.sync_replicas = sync_replicas;
    options.sync_timeout = 300ms;
    options.compact_interval = 100ms;
    options.timing = LinkTiming{.heartbeat = 100ms, .dead_after = 3s, .connect_timeout = 1s,
                                .backoff_min = 10ms, .backoff_max = 100ms};
    auto opened = Replicator::open(*store, std::move(options));
    if (!opened) throw std::runtime_error(opened.error().message);
    replicator = std::move(*opened);
    if (auto started = replicator->start(); !started) {
      throw std::runtime_error(started.error().message);
    }
  }

  nlohmann::json status() const { return nlohmann::json::parse(replicator->status_json()); }
};

bool same_contents(const std::vector<Node*>& nodes) {
  for (const Node* node : nodes) {
    if (node->store->digest() != nodes.front()->store->digest()) return false;
  }
  return true;
}

std::string value_of(const Node& node, std::string_view key) {
  const auto entry = node.store->get(key);
  return entry ? entry->value : "<absent>";
}

// Points this process's stderr, where common::log writes, at `path` while it lives, so that a test
// can wait for what the replicators report. Each log line is one write(), so lines arrive whole.
// The lines are passed on to the real stderr at the end, so the test's output keeps them.
class CapturedLog {
 public:
  explicit CapturedLog(std::filesystem::path path)
      : path_(std::move(path)), saved_(::dup(STDERR_FILENO)) {
    const common::Fd file(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    if (!saved_ || !file || ::dup2(file.get(), STDERR_FILENO) < 0) {
      throw std::runtime_error("redirecting stderr: " + std::string(std::strerror(errno)));
    }
  }
  ~CapturedLog() {
    (void)::dup2(saved_.get(), STDERR_FILENO);
    std::cerr << text() << std::flush;
  }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  std::string text() const {
    std::ifstream in(path_, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  bool contains(std::string_view part) const { return text().find(part) != std::string::npos; }

 private:
  std::filesystem::path path_;
  common::Fd saved_;
};

TEST(ReplicatorTest, TwoServersConvergeOnPutsAndDeletes) {
  const std::string a = free_address(), b = free_address();
  Node na(a, {b}), nb(b, {a});
  ASSERT_TRUE(na.store->put("x", "from a"));
  ASSERT_TRUE(nb.store->put("y", "from b"));
  ASSERT_TRUE(nb.store->put("gone", "soon"));
  ASSERT_TRUE(net_test::eventually([&] { return value_of(na, "gone") == "soon"; }, 20s));
  ASSERT_TRUE(na.store->remove("gone"));
  EXPECT_TRUE(net_test::eventually([&] { return same_contents({&na, &nb}); }, 20s));
  EXPECT_EQ(value_of(nb, "x"), "from a");
  EXPECT_EQ(value_of(na, "y"), "from b");
  EXPECT_EQ(value_of(nb, "gone"), "<absent>");
}

TEST(ReplicatorTest, ConcurrentWritesToOneKeyPickTheSameWinnerEverywhere) {
  const std::string a = free_address(), b = free_address(), c = free_address();
  Node na(a, {b, c}), nb(b, {a, c}), nc(c, {a, b});
  std::vector<std::thread> writers;
  for (Node* node : {&na, &nb, &nc}) {
    writers.emplace_back([node] {
      for (int i = 0; i < 30; ++i) (void)node->store->put("contested", std::to_string(i));
    });
  }
  for (auto& writer : writers) writer.join();
  ASSERT_TRUE(net_test::eventually([&] { return same_contents({&na, &nb, &nc}); }, 20s));
  EXPECT_EQ(na.store->get("contested")->version, nc.store->get("contested")->version);
}

TEST(ReplicatorTest, LateJoinerCatchesUpOnEverythingItMissed) {
  const std::string a = free_address(), b = free_address(), c = free_address();
  Node na(a, {b, c}), nb(b, {a, c});
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE((i % 2 ? na : nb).store->put("k" + std::to_string(i), std::to_string(i)));
  }
  ASSERT_TRUE(na.store->remove("k1"));
  Node nc(c, {a, b});
  EXPECT_TRUE(net_test::eventually([&] { return same_contents({&na, &nb, &nc}); }, 20s));
  EXPECT_EQ(value_of(nc, "k298"), "298");
  EXPECT_EQ(value_of(nc, "k1"), "<absent>");
}

// The joiner is sent only the current changes, with SKIPs over the superseded seqs between
// them: its summary still covers every seq, of both origins, as if it had every change.
TEST(ReplicatorTest, LateJoinerBootstrapsOnTheLiveKeysAndHoldsEverySeq) {
  const std::string a = free_address(), b = free_address(), c = free_address();
  Node na(a, {b, c}), nb(b, {a, c});
  for (int i = 0; i < 400; ++i) {
    ASSERT_TRUE((i % 2 ? na : nb).store->put("hot" + std::to_string(i % 3), std::to_string(i)));
  }
  ASSERT_TRUE(na.store->put("cold", "1"));
  ASSERT_TRUE(nb.store->remove("hot0"));
  ASSERT_TRUE(net_test::eventually([&] { return same_contents({&na, &nb}); }, 20s));
  Node nc(c, {a, b});
  EXPECT_TRUE(net_test::eventually([&] { return same_contents({&na, &nb, &nc}); }, 20s));
  EXPECT_TRUE(net_test::eventually(
      [&] { return nc.store->summary() == na.store->summary(); }, 20s));
  EXPECT_EQ(value_of(nc, "hot0"), "<absent>");
  EXPECT_EQ(value_of(nc, "hot1"), na.store->get("hot1")->value);
  EXPECT_EQ(value_of(nc, "cold"), "1");
  const auto log_size = [](const Node& node, store::OriginId origin) {
    return node.store->changes_between(origin, 0, 1'000'000, 1'000'000).size();
  };
  for (const store::OriginId origin : {na.store->id(), nb.store->id()}) {
    EXPECT_EQ(log_size(nc, origin), log_size(na, origin));
    EXPECT_LE(log_size(nc, origin), 4u);  // of 200-odd changes, only the four keys' current ones
  }
}

// A and C know only B: what each writes reaches the other through B's change log.
TEST(ReplicatorTest, ChangesAreRelayedToServersWithoutADirectLink) {
  const std::string a = free_address(), b = free_address(), c = free_address();
  Node na(a, {b}), nb(b, {a, c}), nc(c, {b});
  ASSERT_TRUE(na.store->put("from/a", "1"));
  ASSERT_TRUE(nc.store->put("from/c", "2"));
  EXPECT_TRUE(net_test::eventually([&] { return same_contents({&na, &nb, &nc}); }, 20s));
  EXPECT_EQ(value_of(nc, "from/a"), "1");
  EXPECT_EQ(value_of(na, "from/c"), "2");
}

TEST(ReplicatorTest, SyncReplicasWaitsForThePeersAcknowledgement) {
  const std::string a = free_address(), b = free_address();
  Node na(a, {b}, 1);
  EXPECT_EQ(na.replicator->refuse_write(), "0 of 1 required peers connected");
  auto lonely = na.store->put("alone", "1");
  ASSERT_TRUE(lonely);
  EXPECT_FALSE(na.replicator->await_replicated(lonely->change)) << "nobody can have acknowledged it";
  {
    Node nb(b, {a});
    ASSERT_TRUE(net_test::eventually([&] { return !na.replicator->refuse_write(); }, 20s));
    auto change = na.store->put("synced", "yes");
    ASSERT_TRUE(change);
    EXPECT_TRUE(na.replicator->await_replicated(change->change));
    EXPECT_EQ(value_of(nb, "synced"), "yes") << "acknowledged means stored";
  }
  EXPECT_TRUE(net_test::eventually([&] { return na.replicator->refuse_write().has_value(); }, 20s));
}

TEST(ReplicatorTest, StatusShowsPeersAndNoLagOnceConverged) {
  const std::string a = free_address(), b = free_address();
  Node na(a, {b}), nb(b, {a});
  ASSERT_TRUE(na.store->put("k", "v"));
  ASSERT_TRUE(net_test::eventually([&] {
    const auto status = na.status();
    const auto& peer = status["peers"][0];
    return peer["connected"] == true && !peer["lag"].empty() &&
           peer["lag"].begin()->get<uint64_t>() == 0;
  }, 20s)) << na.replicator->status_json();
  const auto status = na.status();
  EXPECT_EQ(status["id"], origin_hex(na.store->id()));
  EXPECT_EQ(status["digest"], na.store->digest());
  EXPECT_EQ(status["peers"][0]["address"], b);
  EXPECT_EQ(status["peers"][0]["origin"], origin_hex(nb.store->id()));
}

TEST(ReplicatorTest, WrongSecretKeepsServersApart) {
  test_support::TempDir dir;
  const CapturedLog log(dir.path() / "stderr.log");  // declared first: outlives both replicators
  const std::string a = free_address(), b = free_address();
  Node na(a, {b});
  auto other = store::Store::open({.path = (dir.path() / "store.db").string()});
  ASSERT_TRUE(other);
  ReplicatorOptions options;
  options.listen = *common::parse_address(b);
  options.peers = {a};
  options.secret = "a different secret";
  auto stranger = Replicator::open(**other, std::move(options));
  ASSERT_TRUE(stranger);
  ASSERT_TRUE((*stranger)->start());
  ASSERT_TRUE((*other)->put("intruder", "x"));
  ASSERT_TRUE(na.store->put("mine", "y"));
  // The dialer checks the acceptor's proof first, so each side's rejection of the other shows in
  // its own outbound link's log line, which names the address it dialed.
  const auto rejected_dialing = [&](const std::string& address) {
    return "replication: link to " + address + ": wrong secret";
  };
  ASSERT_TRUE(net_test::eventually([&] {
    return log.contains(rejected_dialing(b)) && log.contains(rejected_dialing(a));
  })) << log.text();
  EXPECT_NE(na.store->digest(), (*other)->digest());
  EXPECT_FALSE(na.store->get("intruder"));
  EXPECT_FALSE((*other)->get("mine"));
  EXPECT_EQ(na.replicator->refuse_write(), std::nullopt);  // K = 0: never refused
  EXPECT_EQ(na.status()["peers"][0]["connected"], false);
}

}  // namespace
}  // namespace web::replication

// client --ws end to end: the real executable against web_server's /ws echo, directly and through
// a real load_balancer, and against a web_server that dies in the middle of the run.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/cluster.hpp"
#include "tests/integration/harness.hpp"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;

harness::Process start_client(std::vector<std::string> args) {
  args.insert(args.begin(), harness::exe("client"));
  return harness::Process(std::move(args));
}

json parsed(harness::Process& client) {
  try {
    return json::parse(client.out());
  } catch (const json::exception& e) {
    ADD_FAILURE() << e.what() << "\nstdout:\n" << client.out() << "\nstderr:\n" << client.err();
    return json::object();
  }
}

uint64_t backend_total(const json& report) {
  uint64_t total = 0;
  for (const auto& [name, count] : report["backends"].items()) total += count.get<uint64_t>();
  return total;
}

// The facts every clean run shows: each message echoed, each connection upgraded and closed
// with a close handshake.
void expect_clean_run(const json& j, uint64_t messages, uint64_t max_connections) {
  EXPECT_EQ(j.value("requests", -1), static_cast<int64_t>(messages));
  EXPECT_EQ(j.value("succeeded", -1), static_cast<int64_t>(messages));
  EXPECT_EQ(j.value("failed", -1), 0);
  const json ws = j.value("websocket", json::object());
  const uint64_t connections = ws.value("connections", 0u);
  EXPECT_GE(connections, 1u);
  EXPECT_LE(connections, max_connections);
  EXPECT_EQ(ws.value("clean_closes", 0u), connections);
  EXPECT_EQ(ws.value("message_size", 0u), 100u);
  EXPECT_EQ(j["status"].value("101", 0u), connections);
  EXPECT_EQ(backend_total(j), connections);  // every 101 named its backend
  EXPECT_EQ(j.value("without_backend", -1), 0);
}

TEST(ClientWsTest, EchoesEveryMessageDirectlyFromAWebServer) {
  auto server = harness::start_web_server("s1");
  auto client = start_client({"--ws", "ws://" + server->address + "/ws", "--requests", "500",
                              "--concurrency", "4", "--message-size", "100", "--json"});
  ASSERT_EQ(client.wait_exit(120s), 0) << client.err();
  const json j = parsed(client);
  expect_clean_run(j, 500, 4);
  EXPECT_EQ(j["backends"].value("s1", 0u), j["websocket"].value("connections", 0u));
}

TEST(ClientWsTest, EchoesEveryMessageThroughTheBalancer) {
  auto servers = harness::start_web_servers(2);
  harness::Process balancer({harness::exe("load_balancer"), "--mode", "http", "--listen",
                             "127.0.0.1:0", "--backends", harness::backends_flag(servers)});
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  auto client = start_client({"--ws", "http://" + address + "/ws", "--requests", "400",
                              "--concurrency", "6", "--message-size", "100", "--json"});
  ASSERT_EQ(client.wait_exit(120s), 0) << client.err();
  const json j = parsed(client);
  expect_clean_run(j, 400, 6);
  for (const auto& [name, count] : j["backends"].items()) {
    EXPECT_TRUE(name == "s0" || name == "s1") << name;
  }
}

TEST(ClientWsTest, OpenLoopThroughTheBalancerReportsTheRate) {
  auto servers = harness::start_web_servers(2);
  harness::Process balancer({harness::exe("load_balancer"), "--mode", "http", "--listen",
                             "127.0.0.1:0", "--backends", harness::backends_flag(servers)});
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  auto client = start_client({"--ws", "ws://" + address + "/ws", "--rate", "200", "--requests",
                              "100", "--concurrency", "2", "--message-size", "100", "--json"});
  ASSERT_EQ(client.wait_exit(120s), 0) << client.err();
  const json j = parsed(client);
  expect_clean_run(j, 100, 2);
  EXPECT_EQ(j.value("mode", ""), "open");
  EXPECT_EQ(j.value("rate", 0.0), 200.0);
}

TEST(ClientWsTest, AServerThatDiesMidRunCountsErrorsAndTheRunStillEnds) {
  auto server = harness::start_web_server("s1");
  const int threads_before = harness::thread_count(server->process.pid());
  auto client = start_client({"--ws", "ws://" + server->address + "/ws", "--duration", "4s",
                              "--concurrency", "4", "--timeout", "2s", "--json"});
  // Mid-run: every connection was accepted (the server runs one thread per connection).
  ASSERT_TRUE(harness::eventually([&] {
    return harness::thread_count(server->process.pid()) >= threads_before + 4;
  })) << client.err();
  server->process.signal(SIGKILL);
  EXPECT_EQ(server->process.wait_exit(30s), 128 + SIGKILL);

  ASSERT_EQ(client.wait_exit(60s), 1) << client.err();  // bounded: the run ends, with failures
  const json j = parsed(client);
  // Whether any echo came back before the kill depends on the machine's pace: not asserted.
  EXPECT_GT(j.value("failed", 0), 0);
  const json errors = j.value("errors", json::object());
  // Messages in flight see the connection die; later ones find the port closed.
  EXPECT_GT(errors.value("closed", 0) + errors.value("reset", 0), 0) << j.dump(2);
  EXPECT_GT(errors.value("connect", 0), 0) << j.dump(2);
  EXPECT_EQ(errors.value("mismatch", 0), 0);
  EXPECT_EQ(j["websocket"].value("clean_closes", 1), 0);
}

TEST(ClientWsTest, ARefusedUpgradeIsCountedWithItsStatus) {
  auto server = harness::start_web_server("s1");
  auto client = start_client(
      {"--ws", "ws://" + server->address + "/not-a-socket", "--requests", "5", "--json"});
  ASSERT_EQ(client.wait_exit(60s), 1) << client.err();
  const json j = parsed(client);
  EXPECT_EQ(j["errors"].value("handshake", 0), 5);
  EXPECT_EQ(j["status"].value("404", 0), 5);
  EXPECT_NE(j["error_messages"].value("handshake", "").find("status 404"), std::string::npos);
}

TEST(ClientWsTest, FlagsThatMeanNothingForWebSocketsAreBadUsage) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--ws", "--method", "POST", "--requests", "1"},
        std::vector<std::string>{"--ws", "--body", "x", "--requests", "1"},
        std::vector<std::string>{"--message-size", "10", "--requests", "1"},
        std::vector<std::string>{"--ws", "--message-size", "17m", "--requests", "1"}}) {
    auto client = start_client(args);
    EXPECT_EQ(client.wait_exit(30s), 2) << args[1];
    EXPECT_NE(client.err().find("client: --"), std::string::npos) << client.err();
  }
}

}  // namespace

// The real load_balancer in TCP mode in front of real web_server processes, all on 127.0.0.1
// ephemeral ports.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/address.hpp"
#include "common/socket.hpp"
#include "tests/integration/cluster.hpp"
#include "tests/integration/harness.hpp"

namespace {

using namespace std::chrono_literals;
using namespace harness;

// Checks come often (unless `extra` says otherwise) so that the tests see state changes soon.
harness::Process start_balancer(const std::string& backends, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {harness::exe("load_balancer"), "--mode", "tcp"};
  argv.insert(argv.end(), {"--listen", "127.0.0.1:0", "--backends", backends});
  if (std::find(extra.begin(), extra.end(), "--health-interval") == extra.end()) {
    extra.insert(extra.end(), {"--health-interval", "100ms"});
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  return harness::Process(std::move(argv));
}

// One GET / on a new connection through the balancer: the backend's name, or "" on failure.
std::string get_backend(const std::string& balancer, std::string* failure = nullptr) {
  const std::string response = harness::exchange(balancer, harness::get_request("/"));
  const std::string name =
      harness::status_of(response) == 200 ? field_of(response, "x-backend") : "";
  if (name.empty() && failure != nullptr) *failure = response.substr(0, 200);
  return name;
}

TEST(LoadBalancerTest, SpreadsNewConnectionsEvenlyOverFourServers) {
  auto servers = start_web_servers(4);
  harness::Process balancer = start_balancer(backends_flag(servers));
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();

  std::map<std::string, int> counts;
  for (int i = 0; i < 400; ++i) {
    std::string failure;
    const std::string name = get_backend(address, &failure);
    ASSERT_FALSE(name.empty()) << "request " << i << " failed: " << failure << "\n"
                               << balancer.err();
    ++counts[name];
  }
  ASSERT_EQ(counts.size(), 4u);
  for (const auto& [name, count] : counts) EXPECT_NEAR(count, 100, 20) << name;
}

TEST(LoadBalancerTest, KilledServerIsSkippedAndComesBackAfterRestart) {
  auto servers = start_web_servers(3);
  harness::Process balancer = start_balancer(backends_flag(servers), {"--health-check", "http"});
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  for (int i = 0; i < 6; ++i) ASSERT_FALSE(get_backend(address).empty()) << balancer.err();

  const std::string killed = servers[1]->address;
  servers[1]->process.signal(SIGKILL);
  ASSERT_EQ(servers[1]->process.wait_exit(), 128 + SIGKILL);
  // Requests that start after the kill all succeed, whether or not a check has noticed yet.
  for (int i = 0; i < 60; ++i) {
    std::string failure;
    const std::string name = get_backend(address, &failure);
    ASSERT_FALSE(name.empty()) << "request " << i << " after the kill failed: " << failure << "\n"
                               << balancer.err();
    EXPECT_NE(name, "s1");
  }
  EXPECT_TRUE(eventually([&] {
    return balancer.err().find("backend " + killed + " is DOWN") != std::string::npos;
  })) << balancer.err();

  // Expected back within rise x interval plus one interval (300ms here); the bound is generous.
  servers[1] = start_web_server("s1", killed);
  bool back = eventually([&] {
    const std::string name = get_backend(address);
    EXPECT_FALSE(name.empty()) << balancer.err();
    return name == "s1";
  });
  EXPECT_TRUE(back) << balancer.err();
  EXPECT_NE(balancer.err().find("backend " + killed + " is UP: GET /health on " + killed +
                                ": 200 (2/2 passed checks)"),
            std::string::npos)
      << balancer.err();
}

// With checks too rare to notice, a refused connect is retried on the next backend inside the
// same client connection, and the backend is marked down at once.
TEST(LoadBalancerTest, FailsOverWithinTheClientConnection) {
  auto servers = start_web_servers(2);
  harness::Process balancer = start_balancer(backends_flag(servers), {"--health-interval", "10m"});
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  const std::string killed = servers[0]->address;
  servers[0]->process.signal(SIGKILL);
  ASSERT_EQ(servers[0]->process.wait_exit(), 128 + SIGKILL);
  for (int i = 0; i < 10; ++i) {
    std::string failure;
    EXPECT_EQ(get_backend(address, &failure), "s1") << failure << "\n" << balancer.err();
  }
  EXPECT_NE(balancer.err().find("backend " + killed + " is DOWN: connect " + killed +
                                ": Connection refused (failed while serving a client)"),
            std::string::npos)
      << balancer.err();
  // The checker threads wait for 10 minutes; SIGTERM must still end them at once.
  balancer.signal(SIGTERM);
  EXPECT_EQ(balancer.wait_exit(), 0) << balancer.err();
}

// A backend whose check hangs (it never answers) must not hold up the checks of the others.
TEST(LoadBalancerTest, HangingBackendDoesNotDelayChecksOfOthers) {
  auto servers = start_web_servers(2);
  // Connects complete in the kernel's backlog, but no response ever comes.
  auto silent = common::listen_tcp(*common::parse_address("127.0.0.1:0"));
  ASSERT_TRUE(silent.ok());
  const std::string silent_address = common::local_address(*silent)->to_string();
  harness::Process balancer = start_balancer(backends_flag(servers) + "," + silent_address,
                                             {"--health-check", "http", "--health-timeout", "10m"});
  ASSERT_FALSE(balancer.wait_listening().empty()) << balancer.err();

  const std::string killed = servers[0]->address;
  servers[0]->process.signal(SIGKILL);
  ASSERT_EQ(servers[0]->process.wait_exit(), 128 + SIGKILL);
  EXPECT_TRUE(eventually([&] {
    return balancer.err().find("backend " + killed + " is DOWN: connect " + killed) !=
           std::string::npos;
  })) << balancer.err();
  // The silent backend's check still waits (for 10 minutes); a shutdown must not.
  balancer.signal(SIGTERM);
  EXPECT_EQ(balancer.wait_exit(), 0) << balancer.err();
}

TEST(LoadBalancerTest, ClosesClientWhenNoBackendIsUp) {
  harness::Process balancer = start_balancer(free_address() + "," + free_address());
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  EXPECT_EQ(harness::exchange(address, harness::get_request("/")), "");
  EXPECT_TRUE(eventually([&] {
    return balancer.err().find(": closing: no backend") != std::string::npos;
  })) << balancer.err();
  balancer.signal(SIGTERM);
  EXPECT_EQ(balancer.wait_exit(), 0) << balancer.err();
}

struct BadFlags {
  const char* name;
  std::vector<std::string> args;
  const char* message;  // a part of the one line on stderr
};

class LoadBalancerFlagsTest : public testing::TestWithParam<BadFlags> {};

TEST_P(LoadBalancerFlagsTest, ExitsTwoWithOneLineNamingTheFlag) {
  std::vector<std::string> argv = {harness::exe("load_balancer")};
  argv.insert(argv.end(), GetParam().args.begin(), GetParam().args.end());
  harness::Process balancer(std::move(argv));
  EXPECT_EQ(balancer.wait_exit(), 2);
  const std::string err = balancer.err();
  EXPECT_NE(err.find(GetParam().message), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(balancer.out(), "");
}

const BadFlags kBadFlags[] = {
    {"PortOutOfRange",
     {"--backends", "1.2.3.4:99999"},
     "--backends: 1.2.3.4:99999: port out of range"},
    {"EmptyList", {"--backends", ""}, "--backends: empty backend list"},
    {"EmptyItem", {"--backends", "127.0.0.1:8081,,127.0.0.1:8082"}, "--backends: "},
    {"MissingPort", {"--backends", "127.0.0.1"}, "--backends: 127.0.0.1: missing ':port'"},
    {"WeightZero",
     {"--backends", "127.0.0.1:8081@0"},
     "--backends: 127.0.0.1:8081@0: weight must be"},
    {"WeightNotANumber",
     {"--backends", "127.0.0.1:8081@x"},
     "--backends: 127.0.0.1:8081@x: weight"},
    {"Missing", {"--listen", "127.0.0.1:0"}, "--backends is required"},
    {"UnknownMode", {"--backends", "127.0.0.1:8081", "--mode", "udp"}, "--mode: udp"},
    {"UnknownCheck", {"--backends", "127.0.0.1:8081", "--health-check", "ping"}, "--health-check"},
    {"BadInterval",
     {"--backends", "127.0.0.1:8081", "--health-interval", "fast"},
     "--health-interval"},
    {"ZeroTimeout",
     {"--backends", "127.0.0.1:8081", "--connect-timeout", "0"},
     "--connect-timeout"},
    {"FallZero", {"--backends", "127.0.0.1:8081", "--fall", "0"}, "--fall"},
    {"BadListen", {"--backends", "127.0.0.1:8081", "--listen", "nowhere"}, "--listen: nowhere"},
    {"AccessLogUnopenable",
     {"--backends", "127.0.0.1:8081", "--access-log", "/nonexistent/dir/access.log"},
     "--access-log: open access log /nonexistent/dir/access.log"},
    {"TwoListen",
     {"--backends", "127.0.0.1:8081", "--listen", "127.0.0.1:0,127.0.0.1:1"},
     "--listen: 127.0.0.1:0,127.0.0.1:1: one address is expected"},
};

INSTANTIATE_TEST_SUITE_P(LoadBalancerTest, LoadBalancerFlagsTest, testing::ValuesIn(kBadFlags),
                         [](const testing::TestParamInfo<BadFlags>& param) {
                           return param.param.name;
                         });

class LoadBalancerSignalTest : public testing::TestWithParam<int> {};

TEST_P(LoadBalancerSignalTest, ExitsZero) {
  auto servers = start_web_servers(1);
  harness::Process balancer = start_balancer(backends_flag(servers));
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  ASSERT_EQ(get_backend(address), "s0");
  balancer.signal(SIGHUP);  // ignored: there is nothing to reload yet
  ASSERT_EQ(get_backend(address), "s0") << balancer.err();
  balancer.signal(GetParam());
  EXPECT_EQ(balancer.wait_exit(), 0) << balancer.err();
}

INSTANTIATE_TEST_SUITE_P(LoadBalancerTest, LoadBalancerSignalTest, testing::Values(SIGTERM, SIGINT),
                         [](const testing::TestParamInfo<int>& param) {
                           return param.param == SIGTERM ? "SIGTERM" : "SIGINT";
                         });

// Reads one response with a Content-Length body (what web_server sends) from a kept-alive
// connection; "" on a failure.
std::string read_response(const common::Fd& fd) {
  std::string response;
  char buffer[4096];
  for (;;) {
    const size_t head_end = response.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const size_t field = response.find("Content-Length: ");
      if (field == std::string::npos || field > head_end) return "";
      const size_t length = std::stoul(response.substr(field + 16));
      if (response.size() >= head_end + 4 + length) return response;
    }
    auto n = common::recv_some(fd, buffer, sizeof buffer);
    if (!n || *n == 0) return "";
    response.append(buffer, *n);
  }
}

// A connection open at SIGTERM may finish: new ones are refused, the open one gets its answer.
TEST(LoadBalancerTest, DrainLetsAnOpenConnectionFinish) {
  auto servers = start_web_servers(1);
  harness::Process balancer = start_balancer(backends_flag(servers));
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  const common::Address target = *common::parse_address(address);
  auto client = common::connect_tcp(target, 10s);
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(common::set_io_timeouts(*client, 30s, 30s).ok());
  // A first exchange proves the connection is being served (not waiting in the backlog).
  ASSERT_TRUE(common::send_all(*client, "GET / HTTP/1.1\r\nHost: test\r\n\r\n").ok());
  ASSERT_EQ(harness::status_of(read_response(*client)), 200);
  ASSERT_TRUE(common::send_all(*client, "GET / HTTP/1.1\r\nHost: test\r\n").ok());

  balancer.signal(SIGTERM);
  EXPECT_TRUE(eventually([&] { return !common::connect_tcp(target, 10s).ok(); }))
      << "still accepting after SIGTERM\n"
      << balancer.err();
  ASSERT_TRUE(common::send_all(*client, "Connection: close\r\n\r\n").ok());
  const std::string response = read_response(*client);
  EXPECT_EQ(harness::status_of(response), 200) << response;
  EXPECT_EQ(field_of(response, "x-backend"), "s0");
  client->reset();  // the client's end of the stream: the relay is done in both directions
  EXPECT_EQ(balancer.wait_exit(), 0) << balancer.err();
  EXPECT_EQ(balancer.err().find("drain timeout passed"), std::string::npos) << balancer.err();
}

// A connection still open when the drain timeout passes is shut, and the balancer exits 0.
TEST(LoadBalancerTest, DrainTimeoutShutsWhatIsLeft) {
  auto servers = start_web_servers(1);
  harness::Process balancer = start_balancer(backends_flag(servers), {"--drain-timeout", "200ms"});
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  auto client = common::connect_tcp(*common::parse_address(address), 10s);
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(common::set_io_timeouts(*client, 60s, 60s).ok());
  // A request that makes the connection stay open: the server waits for the next one.
  ASSERT_TRUE(common::send_all(*client, "GET / HTTP/1.1\r\nHost: test\r\n\r\n").ok());
  ASSERT_EQ(harness::status_of(read_response(*client)), 200);

  balancer.signal(SIGTERM);
  EXPECT_EQ(balancer.wait_exit(), 0) << balancer.err();
  EXPECT_NE(balancer.err().find("drain timeout passed: closing 1 connections"), std::string::npos)
      << balancer.err();
  char byte;
  auto end = common::recv_some(*client, &byte, 1);
  ASSERT_TRUE(end.ok()) << end.error().message;
  EXPECT_EQ(*end, 0u) << "the connection was not shut";
}

}  // namespace

// Changing the running load_balancer without dropping connections: SIGHUP re-reads
// --backends-file, a second SIGTERM cuts a drain short, and a new process takes over the port
// (SO_REUSEPORT) while the old one drains. Real processes on 127.0.0.1 ephemeral ports.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/address.hpp"
#include "common/socket.hpp"
#include "tests/integration/cluster.hpp"
#include "tests/integration/harness.hpp"

namespace {

using namespace harness;
using nlohmann::json;

// Replaces the file at once (rename), so that a reload never reads half of it.
void write_file(const std::string& path, const std::string& text) {
  const std::string next = path + ".next";
  std::ofstream(next) << text;
  ASSERT_EQ(std::rename(next.c_str(), path.c_str()), 0) << path;
}

json stats_of(const AdminBalancer& balancer) {
  return json::parse(body_of(admin_request(balancer.admin, "GET", "/stats")), nullptr, false);
}

uint64_t total_requests(const AdminBalancer& balancer) {
  uint64_t total = 0;
  const json stats = stats_of(balancer);
  for (const json& backend : stats["backends"]) total += backend["requests"].get<uint64_t>();
  return total;
}

std::vector<std::string> addresses_in(const AdminBalancer& balancer) {
  std::vector<std::string> out;
  const json stats = stats_of(balancer);
  for (const json& backend : stats["backends"]) out.push_back(backend["address"]);
  return out;
}

// The client's JSON report, after checking that it ran to its end.
json report_of(Process& client) {
  const int status = client.wait_exit(120s);
  const json report = json::parse(client.out(), nullptr, false);
  EXPECT_FALSE(report.is_discarded())
      << "status " << status << ": " << client.out() << client.err();
  return report;
}

TEST(ReloadTest, SighupAddsAndRemovesBackendsWithoutFailingARequest) {
  auto servers = start_web_servers(3);
  const std::string file = temp_dir() + "/backends.txt";
  write_file(file, "# the pool\n" + servers[0]->address + "\n" + servers[1]->address + "\n");
  auto balancer = start_admin_balancer({"--backends-file", file});
  Process client({exe("client"), "http://" + balancer->address + "/", "--duration", "4s",
                  "--concurrency", "4", "--json"});
  ASSERT_TRUE(eventually([&] { return total_requests(*balancer) > 100; }));

  write_file(file, servers[0]->address + "\n" + servers[2]->address + " weight=2\n");
  balancer->process.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] {
    return balancer->process.err().find(": 1 added, 1 removed, 0 reweighed") != std::string::npos;
  })) << balancer->process.err();

  const json during = report_of(client);
  EXPECT_EQ(during["failed"], 0) << during.dump(2);
  EXPECT_GT(during["succeeded"].get<int>(), 0);
  EXPECT_EQ(addresses_in(*balancer),
            (std::vector<std::string>{servers[0]->address, servers[2]->address}));
  // From now on the added backend takes its share and the removed one gets nothing.
  const Ran after =
      run({exe("client"), "http://" + balancer->address + "/", "--requests", "90", "--json"});
  const json report = json::parse(after.out);
  EXPECT_EQ(report["failed"], 0);
  EXPECT_EQ(report["backends"].value("s1", 0), 0) << report.dump(2);
  EXPECT_EQ(report["backends"].value("s2", 0), 60) << report.dump(2);  // weight 2 of 3
  const std::string log = balancer->process.err();
  EXPECT_NE(log.find("backend " + servers[1]->address + " removed"), std::string::npos) << log;
  EXPECT_NE(log.find("backend " + servers[2]->address + " added (weight 2)"), std::string::npos);
}

TEST(ReloadTest, ABadFileOnSighupChangesNothing) {
  auto servers = start_web_servers(2);
  const std::string file = temp_dir() + "/backends.txt";
  write_file(file, servers[0]->address + "\n");
  auto balancer = start_admin_balancer({"--backends-file", file});
  write_file(file, servers[1]->address + "\nnot-an-address\n");
  balancer->process.signal(SIGHUP);
  const std::string expected =
      "reload " + file + ": " + file + ":2: not-an-address: missing ':port'; nothing changed";
  ASSERT_TRUE(eventually([&] {
    return balancer->process.err().find(expected) != std::string::npos;
  })) << balancer->process.err();
  EXPECT_EQ(addresses_in(*balancer), (std::vector<std::string>{servers[0]->address}));
  EXPECT_EQ(status_of(harness::exchange(balancer->address, get_request("/"))), 200);

  // A good file afterwards is applied as usual.
  write_file(file, servers[1]->address + "\n");
  balancer->process.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] {
    return addresses_in(*balancer) == std::vector<std::string>{servers[1]->address};
  })) << balancer->process.err();
}

TEST(ReloadTest, WeightChangesApplyOnSighup) {
  auto servers = start_web_servers(2);
  const std::string file = temp_dir() + "/backends.txt";
  write_file(file, servers[0]->address + "\n" + servers[1]->address + "\n");
  auto balancer = start_admin_balancer({"--backends-file", file});
  write_file(file, servers[0]->address + " weight=3\n" + servers[1]->address + "\n");
  balancer->process.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] {
    return balancer->process.err().find(": 0 added, 0 removed, 1 reweighed") != std::string::npos;
  })) << balancer->process.err();
  const Ran run_after =
      run({exe("client"), "http://" + balancer->address + "/", "--requests", "80", "--json"});
  const json report = json::parse(run_after.out);
  EXPECT_EQ(report["backends"]["s0"], 60) << report.dump(2);
  EXPECT_EQ(report["backends"]["s1"], 20);
}

// A connection that never completes its request holds the drain; a second SIGTERM ends it.
TEST(ReloadTest, SecondSigtermEndsTheDrainAtOnce) {
  auto servers = start_web_servers(1);
  auto balancer = start_admin_balancer(
      {"--backends", backends_flag(servers), "--drain-timeout", "10m", "--client-timeout", "10m"});
  auto hanging = common::connect_tcp(*common::parse_address(balancer->address), 10s);
  ASSERT_TRUE(hanging.ok());
  ASSERT_TRUE(common::send_all(*hanging, "GET / HTTP/1.1\r\nHost: test\r\n").ok());  // no end

  balancer->process.signal(SIGTERM);
  ASSERT_TRUE(eventually([&] {
    return balancer->process.err().find("waiting up to 600000ms for 1 open connections") !=
           std::string::npos;
  })) << balancer->process.err();
  EXPECT_TRUE(balancer->process.running());
  balancer->process.signal(SIGTERM);
  EXPECT_EQ(balancer->process.wait_exit(30s), 0) << balancer->process.err();
  EXPECT_NE(balancer->process.err().find("received Terminated again: closing 1 connections"),
            std::string::npos)
      << balancer->process.err();
}

bool tcp_migrate_req() {
  std::ifstream in("/proc/sys/net/ipv4/tcp_migrate_req");
  int value = 0;
  return (in >> value) && value == 1;
}

// A new balancer binds the port of the running one (SO_REUSEPORT); the old one gets SIGTERM,
// takes what is queued in its backlog, closes its listener and drains, while a client opens a
// new connection for every request across the switch.
//
// What is guaranteed: no connection is ever refused (one of the two listens at every moment), no
// request fails with a 5xx or a timeout, and the old process ends its drain cleanly. A connection
// the kernel queues on the old listener between its last accept and its close is reset unless
// net.ipv4.tcp_migrate_req=1 moves it to the new listener; only then is zero failures
// guaranteed, and asserted.
TEST(ReloadTest, NewProcessTakesOverThePortWithoutRefusingConnections) {
  auto servers = start_web_servers(2);
  auto old_balancer = start_admin_balancer({"--backends", backends_flag(servers)});
  Process client({exe("client"), "http://" + old_balancer->address + "/", "--duration", "3s",
                  "--concurrency", "2", "--no-keepalive", "--json"});
  ASSERT_TRUE(eventually([&] { return total_requests(*old_balancer) > 50; }));

  Process new_balancer({exe("load_balancer"), "--listen", old_balancer->address, "--backends",
                        backends_flag(servers)});
  ASSERT_EQ(new_balancer.wait_listening(), old_balancer->address) << new_balancer.err();
  old_balancer->process.signal(SIGTERM);
  EXPECT_EQ(old_balancer->process.wait_exit(60s), 0) << old_balancer->process.err();
  EXPECT_EQ(old_balancer->process.err().find("drain timeout passed"), std::string::npos);

  const json report = report_of(client);
  EXPECT_GT(report["succeeded"].get<int>(), 0);
  EXPECT_EQ(report["errors"]["connect"], 0) << report.dump(2);
  EXPECT_EQ(report["errors"]["timeout"], 0) << report.dump(2);
  EXPECT_EQ(report["errors"]["status_5xx"], 0) << report.dump(2);
  if (tcp_migrate_req()) {
    EXPECT_EQ(report["failed"], 0) << report.dump(2);
  } else {
    std::printf("note: net.ipv4.tcp_migrate_req=0: %d of %d connections lost to the close race\n",
                report["failed"].get<int>(), report["requests"].get<int>());
  }
  // And the new process serves on.
  EXPECT_EQ(status_of(harness::exchange(old_balancer->address, get_request("/"))), 200);
}

}  // namespace

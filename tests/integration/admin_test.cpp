// The admin endpoint of the real load_balancer, in front of real web_servers on 127.0.0.1
// ephemeral ports: /metrics checked against a known run of the client, the token, and backends
// added, drained, disabled, enabled and removed at run time.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/cluster.hpp"
#include "tests/integration/harness.hpp"

namespace {

using namespace harness;
using nlohmann::json;

// The value of every sample of `name` in a /metrics text, by its labels.
std::map<std::string, double> samples(const std::string& metrics, const std::string& name) {
  std::map<std::string, double> out;
  std::istringstream in(metrics);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with(name + "{")) continue;
    const size_t close = line.rfind("} ");
    out[line.substr(name.size() + 1, close - name.size() - 1)] = std::stod(line.substr(close + 2));
  }
  return out;
}

double sum(const std::map<std::string, double>& values, const std::string& label_part = "") {
  double total = 0;
  for (const auto& [labels, value] : values) {
    if (labels.find(label_part) != std::string::npos) total += value;
  }
  return total;
}

json stats_of(const AdminBalancer& balancer) {
  const std::string response = admin_request(balancer.admin, "GET", "/stats");
  EXPECT_EQ(status_of(response), 200) << response;
  return json::parse(body_of(response), nullptr, false);
}

// The state /stats gives for the backend at `address`, or "" when it is not listed.
std::string state_of(const AdminBalancer& balancer, const std::string& address) {
  const json stats = stats_of(balancer);
  for (const json& backend : stats["backends"]) {
    if (backend["address"] == address) return backend["state"];
  }
  return "";
}

// The names of the backends (X-Backend) that answer `n` requests through the balancer, each
// on a new connection.
std::set<std::string> answering(const AdminBalancer& balancer, int n) {
  std::set<std::string> names;
  for (int i = 0; i < n; ++i) {
    const std::string response = harness::exchange(balancer.address, get_request("/"));
    EXPECT_EQ(status_of(response), 200) << response;
    names.insert(field_of(response, "x-backend"));
  }
  return names;
}

TEST(AdminTest, MetricsAddUpToAKnownRun) {
  auto servers = start_web_servers(2);
  auto balancer = start_admin_balancer({"--backends", backends_flag(servers)});
  const Ran client = run({exe("client"), "http://" + balancer->address + "/", "--requests", "300",
                          "--concurrency", "3", "--json"});
  ASSERT_EQ(client.status, 0) << client.out << client.err;
  const json report = json::parse(client.out);
  ASSERT_EQ(report["succeeded"], 300);

  // The balancer counts a response once it is sent, so the last ones may be counted just after
  // the client has read them.
  std::string response;
  EXPECT_TRUE(eventually([&] {
    response = admin_request(balancer->admin, "GET", "/metrics");
    return sum(samples(body_of(response), "lb_backend_requests_total")) == 300;
  })) << response;
  ASSERT_EQ(status_of(response), 200) << response;
  EXPECT_NE(field_of(response, "content-type").find("text/plain; version=0.0.4"),
            std::string::npos);
  const std::string metrics = body_of(response);
  EXPECT_EQ(sum(samples(metrics, "lb_backend_responses_total"), R"(class="2xx")"), 300);
  EXPECT_EQ(sum(samples(metrics, "lb_backend_request_duration_seconds_count")), 300);
  EXPECT_EQ(sum(samples(metrics, "lb_backend_request_duration_seconds_bucket"), R"(le="+Inf")"),
            300);
  EXPECT_EQ(sum(samples(metrics, "lb_proxy_errors_total")), 0);
  // Per backend, what the client saw by X-Backend: s0 is servers[0], s1 servers[1].
  const auto requests = samples(metrics, "lb_backend_requests_total");
  for (int i = 0; i < 2; ++i) {
    const std::string label = "backend=\"" + servers[static_cast<size_t>(i)]->address + "\"";
    ASSERT_TRUE(requests.count(label)) << metrics;
    EXPECT_EQ(requests.at(label), report["backends"]["s" + std::to_string(i)].get<double>());
  }
  const json stats = stats_of(*balancer);
  ASSERT_EQ(stats["backends"].size(), 2u);
  EXPECT_EQ(
      stats["backends"][0]["requests"].get<int>() + stats["backends"][1]["requests"].get<int>(),
      300);
}

TEST(AdminTest, TokenIsRequiredWhenSet) {
  auto servers = start_web_servers(1);
  const std::string dir = temp_dir();
  std::ofstream(dir + "/token") << "s3cret-token\n";
  auto balancer = start_admin_balancer(
      {"--backends", backends_flag(servers), "--admin-token-file", dir + "/token"});
  const std::string& admin = balancer->admin;
  EXPECT_EQ(status_of(admin_request(admin, "GET", "/stats")), 401);
  EXPECT_EQ(status_of(admin_request(admin, "GET", "/stats", "", "wrong")), 401);
  EXPECT_EQ(status_of(admin_request(admin, "GET", "/stats", "", "s3cret-tokenx")), 401);
  EXPECT_EQ(status_of(admin_request(admin, "GET", "/stats", "", "s3cret-token")), 200);
  EXPECT_EQ(status_of(admin_request(admin, "GET", "/metrics", "", "s3cret-token")), 200);
  EXPECT_EQ(status_of(admin_request(admin, "POST", "/backends", "127.0.0.1:1")), 401);
  // The page and its event stream also take it in the query (a browser sends no header).
  EXPECT_EQ(status_of(admin_request(admin, "GET", "/?token=s3cret-token")), 200);
  EXPECT_EQ(status_of(admin_request(admin, "GET", "/?token=wrong")), 401);
  EXPECT_EQ(status_of(admin_request(admin, "GET", "/stats?token=s3cret-token")), 401);
  EXPECT_NE(balancer->process.err().find("401 (missing or wrong token)"), std::string::npos);
}

// Anyone can send wrong tokens: a flood of them leaves a bounded number of log lines, and the
// lines that follow say how many were left out.
TEST(AdminTest, FloodOfRefusedRequestsLogsBoundedLines) {
  auto servers = start_web_servers(1);
  const std::string dir = harness::temp_dir();
  std::ofstream(dir + "/token") << "s3cret-token\n";
  auto balancer = start_admin_balancer(
      {"--backends", backends_flag(servers), "--admin-token-file", dir + "/token"});
  const std::string admin = balancer->admin;
  constexpr int kFlood = 300;
  for (int i = 0; i < kFlood; ++i) {
    ASSERT_EQ(status_of(admin_request(admin, "GET", "/stats", "", "wrong")), 401);
  }
  const std::string err = balancer->process.err();
  size_t lines = 0;
  for (size_t at = err.find("401 (missing"); at != std::string::npos;
       at = err.find("401 (missing", at + 1)) {
    ++lines;
  }
  EXPECT_GE(lines, 1u) << err;
  EXPECT_LT(lines, static_cast<size_t>(kFlood) / 2) << err;
}

TEST(AdminTest, RuntimeChangesMoveTrafficAndShowInStats) {
  auto servers = start_web_servers(2);
  const std::string s0 = servers[0]->address;
  const std::string s1 = servers[1]->address;
  auto balancer = start_admin_balancer({"--backends", s0});
  const std::string& admin = balancer->admin;
  EXPECT_EQ(answering(*balancer, 4), (std::set<std::string>{"s0"}));

  const std::string added = admin_request(admin, "POST", "/backends", s1 + " weight=2");
  ASSERT_EQ(status_of(added), 200) << added;
  EXPECT_EQ(answering(*balancer, 6), (std::set<std::string>{"s0", "s1"}));
  EXPECT_EQ(state_of(*balancer, s1), "up");
  EXPECT_EQ(status_of(admin_request(admin, "POST", "/backends",
                                    R"({"address": ")" + s1 + R"(", "weight": 1})")),
            409);

  ASSERT_EQ(status_of(admin_request(admin, "POST", "/backends/" + s0 + "/drain")), 200);
  EXPECT_EQ(state_of(*balancer, s0), "draining");
  EXPECT_EQ(answering(*balancer, 6), (std::set<std::string>{"s1"}));
  ASSERT_EQ(status_of(admin_request(admin, "POST", "/backends/" + s0 + "/enable")), 200);
  EXPECT_EQ(state_of(*balancer, s0), "up");
  EXPECT_EQ(answering(*balancer, 6), (std::set<std::string>{"s0", "s1"}));

  ASSERT_EQ(status_of(admin_request(admin, "POST", "/backends/" + s1 + "/disable")), 200);
  EXPECT_EQ(state_of(*balancer, s1), "disabled");
  EXPECT_EQ(answering(*balancer, 6), (std::set<std::string>{"s0"}));

  ASSERT_EQ(status_of(admin_request(admin, "DELETE", "/backends/" + s1)), 200);
  EXPECT_EQ(state_of(*balancer, s1), "");
  EXPECT_EQ(stats_of(*balancer)["backends"].size(), 1u);
  EXPECT_EQ(answering(*balancer, 4), (std::set<std::string>{"s0"}));

  // The wrong requests, and what they get.
  EXPECT_EQ(status_of(admin_request(admin, "DELETE", "/backends/" + s1)), 404);
  EXPECT_EQ(status_of(admin_request(admin, "POST", "/backends/127.0.0.1:1/drain")), 404);
  EXPECT_EQ(status_of(admin_request(admin, "POST", "/backends", "not an address")), 400);
  EXPECT_EQ(status_of(admin_request(admin, "POST", "/backends", R"({"address": 7})")), 400);
  EXPECT_EQ(status_of(admin_request(admin, "POST", "/backends", s1 + " weight=0")), 400);
  EXPECT_EQ(status_of(admin_request(admin, "PUT", "/stats")), 405);
  EXPECT_EQ(status_of(admin_request(admin, "GET", "/backends/" + s0 + "/drain")), 405);
  EXPECT_EQ(status_of(admin_request(admin, "GET", "/nothing")), 404);
  // Percent-encoded addresses work too (some clients encode the colon).
  EXPECT_EQ(status_of(admin_request(admin, "GET",
                                    "/backends/127.0.0.1%3A" + s0.substr(s0.find(':') + 1))),
            200);

  const std::string log = balancer->process.err();
  for (const std::string& line :
       {"backend " + s1 + " added (weight 2)", "backend " + s0 + " is draining (was active)",
        "backend " + s0 + " is active (was draining)", "backend " + s1 + " is disabled",
        "backend " + s1 + " removed"}) {
    EXPECT_NE(log.find(line), std::string::npos) << line << "\n" << log;
  }
}

TEST(AdminTest, EventsStreamOneSnapshotASecond) {
  auto servers = start_web_servers(1);
  auto balancer = start_admin_balancer({"--backends", backends_flag(servers)});
  // Three events take about two seconds; the read ends when the timeout passes.
  const std::string stream =
      harness::exchange(balancer->admin, "GET /events HTTP/1.1\r\nHost: admin\r\n\r\n", 2500ms);
  EXPECT_EQ(status_of(stream), 200);
  EXPECT_EQ(field_of(stream, "content-type"), "text/event-stream");
  size_t events = 0;
  for (size_t at = stream.find("\ndata: "); at != std::string::npos;
       at = stream.find("\ndata: ", at + 1)) {
    const size_t end = stream.find("\n\n", at + 1);
    ASSERT_NE(end, std::string::npos) << stream;
    const json snapshot = json::parse(stream.substr(at + 7, end - at - 7), nullptr, false);
    ASSERT_FALSE(snapshot.is_discarded()) << stream;
    EXPECT_EQ(snapshot["backends"][0]["address"], servers[0]->address);
    EXPECT_TRUE(snapshot["backends"][0].contains("history"));
    ++events;
  }
  EXPECT_GE(events, 2u) << stream;
}

TEST(AdminTest, BadAdminFlagsAreRefused) {
  auto servers = start_web_servers(1);
  const Ran no_admin = run({exe("load_balancer"), "--backends", backends_flag(servers),
                            "--admin-token-file", "/nonexistent"});
  EXPECT_EQ(no_admin.status, 2);
  EXPECT_NE(no_admin.err.find("--admin-token-file"), std::string::npos) << no_admin.err;
  const Ran missing = run({exe("load_balancer"), "--backends", backends_flag(servers), "--admin",
                           "127.0.0.1:0", "--admin-token-file", "/nonexistent/token"});
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.err.find("/nonexistent/token"), std::string::npos) << missing.err;
}

}  // namespace

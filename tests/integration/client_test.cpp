// client end to end: the real executable against a real web_server on an ephemeral port.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/socket.hpp"
#include "tests/integration/harness.hpp"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Runs client with `args` to the end; the output stays readable through the process.
struct ClientRun {
  harness::Process process;
  int status;

  explicit ClientRun(std::vector<std::string> args)
      : process(with_exe(std::move(args))), status(process.wait_exit(120s)) {}

  json parsed() {
    try {
      return json::parse(process.out());
    } catch (const json::exception& e) {
      ADD_FAILURE() << e.what() << "\nstdout:\n" << process.out() << "\nstderr:\n" << process.err();
      return json::object();
    }
  }

 private:
  static std::vector<std::string> with_exe(std::vector<std::string> args) {
    args.insert(args.begin(), harness::exe("client"));
    return args;
  }
};

class ClientTest : public testing::Test {
 protected:
  void SetUp() override {
    server_.emplace(std::vector<std::string>{harness::exe("web_server"), "--listen", "127.0.0.1:0",
                                             "--name", "s1", "--data-dir", harness::temp_dir()});
    const std::string host_port = server_->wait_listening();
    ASSERT_FALSE(host_port.empty()) << server_->err();
    url_ = "http://" + host_port + "/";
  }

  std::optional<harness::Process> server_;
  std::string url_;
};

TEST_F(ClientTest, CountsEveryResponseAndTheBackendThatSentIt) {
  ClientRun run({url_, "--requests", "200", "--concurrency", "4", "--json"});
  EXPECT_EQ(run.status, 0) << run.process.err();
  const json j = run.parsed();
  EXPECT_EQ(j.value("requests", -1), 200);
  EXPECT_EQ(j.value("succeeded", -1), 200);
  EXPECT_EQ(j.value("failed", -1), 0);
  EXPECT_EQ(j["backends"].value("s1", -1), 200);
  EXPECT_EQ(j["status"].value("200", -1), 200);
  EXPECT_GT(j["latency_ms"].value("max", 0.0), 0.0);
  EXPECT_GE(j["latency_ms"].value("p999", -1.0), j["latency_ms"].value("p50", -1.0));
  EXPECT_EQ(run.process.err(), "") << "no progress line when stderr is not a terminal";
}

TEST_F(ClientTest, OpenLoopWithoutKeepaliveReportsBothLatencyViews) {
  ClientRun run({url_, "--requests", "50", "--rate", "200", "--concurrency", "2", "--no-keepalive",
                 "--uncorrected", "--histogram", "--json"});
  EXPECT_EQ(run.status, 0) << run.process.err();
  const json j = run.parsed();
  EXPECT_EQ(j.value("mode", ""), "open");
  EXPECT_EQ(j.value("succeeded", -1), 50);
  EXPECT_EQ(j["backends"].value("s1", -1), 50);
  EXPECT_TRUE(j.contains("service_ms"));
  ASSERT_TRUE(j.contains("histogram"));
  EXPECT_FALSE(j["histogram"].empty());
}

TEST_F(ClientTest, HumanReportShowsPercentilesAndBackends) {
  ClientRun run({url_, "--requests", "20", "--method", "HEAD", "--header", "X-Test: 1"});
  EXPECT_EQ(run.status, 0) << run.process.err();
  const std::string out = run.process.out();
  for (const char* part : {"p50", "p99.9", "max", "s1: 20", "200: 20", "failures     none"}) {
    EXPECT_NE(out.find(part), std::string::npos) << part << " in:\n" << out;
  }
}

// 404 is not a success unless --ok-status says so; the exit status follows the count.
TEST_F(ClientTest, OkStatusDecidesWhatSucceededAndTheExitStatus) {
  const struct {
    const char* path;
    std::vector<std::string> flags;
    int succeeded;
    int not_ok;
    int status;
  } cases[] = {
      {"", {}, 5, 0, 0},
      {"no-such-path", {}, 0, 5, 1},
      {"no-such-path", {"--ok-status", "200,404"}, 5, 0, 0},
      {"", {"--ok-status", "201"}, 0, 5, 1},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args{url_ + c.path, "--requests", "5", "--json"};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    ClientRun run(args);
    EXPECT_EQ(run.status, c.status) << c.path << " " << run.process.err();
    const json j = run.parsed();
    EXPECT_EQ(j.value("succeeded", -1), c.succeeded) << c.path;
    EXPECT_EQ(j.value("not_ok", -1), c.not_ok) << c.path;
  }
}

TEST(ClientFailureTest, CountsConnectErrorsOnAClosedPortAndExitsOne) {
  std::string host_port;
  {
    auto address = common::parse_address("127.0.0.1:0");
    ASSERT_TRUE(address.ok());
    auto listener = common::listen_tcp(*address);  // a port that is free once this closes
    ASSERT_TRUE(listener.ok()) << listener.error().message;
    host_port = common::local_address(*listener)->to_string();
  }
  ClientRun run({"http://" + host_port + "/", "--requests", "10", "--concurrency", "2", "--json"});
  EXPECT_EQ(run.status, 1) << run.process.err();
  const json j = run.parsed();
  EXPECT_EQ(j.value("succeeded", -1), 0);
  EXPECT_EQ(j.value("failed", -1), 10);
  EXPECT_EQ(j["errors"].value("connect", -1), 10);
  EXPECT_NE(j["error_messages"].value("connect", "").find("refused"), std::string::npos);
}

TEST(ClientFailureTest, BadUsageExitsTwoWithOneLineNamingTheFlag) {
  const struct {
    std::vector<std::string> args;
    const char* names;
  } cases[] = {
      {{"--requests", "many"}, "--requests"},
      {{"--requests", "5", "--bogus"}, "--bogus"},
      {{"--requests", "5", "--timeout", "0"}, "--timeout"},
      {{"--requests", "5", "--concurrency", "0"}, "--concurrency"},
      {{"--requests", "5", "--header", "no colon"}, "--header"},
      {{"--requests", "5", "--rate", "-3"}, "--rate"},
      {{"--duration", "soon"}, "--duration"},
      {{"--duration", "10"}, "10: a duration needs a unit, such as 10s"},
      {{"--requests", "5", "--ok-status", "2xx"}, "--ok-status"},
      {{"https://127.0.0.1/", "--requests", "5"}, "url"},
      {{"ws://127.0.0.1:1/ws", "--requests", "5"}, "needs --ws"},
      {{"http://127.0.0.1:1/"}, "--requests or --duration"},
  };
  for (const auto& c : cases) {
    ClientRun run(c.args);
    const std::string err = run.process.err();
    EXPECT_EQ(run.status, 2) << c.names;
    EXPECT_NE(err.find(c.names), std::string::npos) << err;
    EXPECT_EQ(err.find('\n'), err.size() - 1) << "one line: " << err;
    EXPECT_EQ(run.process.out(), "");
  }
}

}  // namespace

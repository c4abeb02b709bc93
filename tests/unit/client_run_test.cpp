// The whole request path of the client (plan, workers, reader, merge) against an in-process
// HTTP server whose behaviour each test chooses.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <optional>
#include <mutex>

#include "client/run.hpp"
#include "common/http_parser.hpp"
#include "common/tcp_server.hpp"
#include "tests/unit/client_test_support.hpp"
#include "tests/unit/net_test_support.hpp"

namespace {

using namespace std::chrono_literals;

enum class Behaviour { keep_alive, close_each, no_response, error_503 };

class ScriptedServer {
 public:
  explicit ScriptedServer(Behaviour behaviour) : behaviour_(behaviour) {
    server_.emplace([this](const common::Fd& fd, const common::Address&) { serve(fd); });
  }
  common::Address address() const { return server_->address(); }
  uint64_t requests() const { return requests_.load(); }
  uint64_t connections() const { return connections_.load(); }
  std::string last_request() {
    std::lock_guard lock(mutex_);
    return last_request_;
  }

 private:
  void serve(const common::Fd& fd) {
    ++connections_;
    std::string buffer;
    char chunk[4096];
    for (;;) {
      size_t size = 0;
      while ((size = request_size(buffer)) == 0) {
        auto n = common::recv_some(fd, chunk, sizeof chunk);
        if (!n || *n == 0) return;
        buffer.append(chunk, *n);
      }
      {
        std::lock_guard lock(mutex_);
        last_request_ = buffer.substr(0, size);
      }
      buffer.erase(0, size);
      ++requests_;
      if (!respond(fd)) return;
    }
  }
  // The bytes of the first complete request in `buffer` (head and body), or 0.
  static size_t request_size(const std::string& buffer) {
    common::RequestHead head;
    const auto parsed = common::parse_request_head(buffer, {}, head);
    if (parsed.state != common::ParseState::complete) return 0;
    const auto framing = common::request_body_framing(head);
    const size_t total = parsed.consumed + static_cast<size_t>(framing.length);
    return buffer.size() >= total ? total : 0;
  }
  // Answers as the behaviour says; false when the connection must end.
  bool respond(const common::Fd& fd) {
    switch (behaviour_) {
      case Behaviour::keep_alive:
        return common::send_all(fd,
                                "HTTP/1.1 200 OK\r\nX-Backend: t1\r\nContent-Length: 2\r\n\r\nok")
            .ok();
      case Behaviour::close_each:
        (void)common::send_all(
            fd, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
        return false;
      case Behaviour::no_response:
        return false;
      case Behaviour::error_503:
        return common::send_all(fd, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
            .ok();
    }
    return false;
  }

  const Behaviour behaviour_;
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> connections_{0};
  std::mutex mutex_;
  std::string last_request_;
  std::optional<net_test::LoopbackServer> server_;  // last: stops first
};

using client_test::options_for;
using client_test::run_ok;

TEST(ClientRunTest, SendsEveryRequestOverKeptAliveConnections) {
  ScriptedServer server(Behaviour::keep_alive);
  const client::RunResult r = run_ok(options_for(200, 4), server.address());
  EXPECT_EQ(r.stats.requests, 200u);
  EXPECT_EQ(r.stats.succeeded, 200u);
  EXPECT_EQ(r.stats.failed(), 0u);
  EXPECT_EQ(r.stats.status[200], 200u);
  EXPECT_EQ(r.stats.backends.at("t1"), 200u);
  EXPECT_EQ(r.stats.latency.count(), 200u);
  EXPECT_EQ(server.requests(), 200u);
  // Connections open lazily: a worker that started after the others took every ticket opens none.
  EXPECT_GE(server.connections(), 1u);
  EXPECT_LE(server.connections(), 4u);
}

TEST(ClientRunTest, OpensANewConnectionWhenTheServerClosesOne) {
  ScriptedServer server(Behaviour::close_each);
  const client::RunResult r = run_ok(options_for(30, 3), server.address());
  EXPECT_EQ(r.stats.succeeded, 30u);
  EXPECT_EQ(r.stats.without_backend, 30u);
  EXPECT_EQ(server.connections(), 30u);
}

TEST(ClientRunTest, NoKeepaliveAsksForCloseAndReconnects) {
  ScriptedServer server(Behaviour::keep_alive);
  client::Options options = options_for(20, 2);
  options.request.keep_alive = false;
  const client::RunResult r = run_ok(options, server.address());
  EXPECT_EQ(r.stats.succeeded, 20u);
  EXPECT_EQ(server.connections(), 20u);
  EXPECT_NE(server.last_request().find("Connection: close\r\n"), std::string::npos);
}

TEST(ClientRunTest, CountsAFailedRequestOnceAndNeverRetriesIt) {
  ScriptedServer server(Behaviour::no_response);
  const client::RunResult r = run_ok(options_for(25, 2), server.address());
  EXPECT_EQ(r.stats.requests, 25u);
  EXPECT_EQ(r.stats.succeeded, 0u);
  EXPECT_EQ(r.stats.failures_of(client::Failure::closed), 25u);
  EXPECT_EQ(server.requests(), 25u);
}

TEST(ClientRunTest, CountsServerErrorsAsFailedResponses) {
  ScriptedServer server(Behaviour::error_503);
  const client::RunResult r = run_ok(options_for(10, 1), server.address());
  EXPECT_EQ(r.stats.responses, 10u);
  EXPECT_EQ(r.stats.succeeded, 0u);
  EXPECT_EQ(r.stats.status[503], 10u);
  EXPECT_EQ(r.stats.failures_of(client::Failure::status_5xx), 10u);
  EXPECT_EQ(server.connections(), 1u);  // a 503 does not cost the connection
}

TEST(ClientRunTest, CountsRefusedConnections) {
  common::Address closed_port;
  {
    const common::Fd listener = net_test::listener();  // a port that is free once this closes
    closed_port = net_test::address_of(listener);
  }
  const client::RunResult r = run_ok(options_for(8, 2), closed_port);
  EXPECT_EQ(r.stats.requests, 8u);
  EXPECT_EQ(r.stats.failures_of(client::Failure::connect), 8u);
  EXPECT_NE(r.stats.first_error[static_cast<size_t>(client::Failure::connect)].find("refused"),
            std::string::npos);
}

TEST(ClientRunTest, OpenLoopSendsTheScheduledRequestsAndTheWarmupUncounted) {
  ScriptedServer server(Behaviour::keep_alive);
  client::Options options = options_for(20, 2);
  options.plan.rate = 200;
  options.plan.warmup = 50ms;  // 10 tickets at 200/s
  const client::RunResult r = run_ok(options, server.address());
  EXPECT_EQ(r.stats.succeeded, 20u);
  EXPECT_EQ(r.stats.latency.count(), 20u);
  EXPECT_EQ(r.stats.service.count(), 20u);
  EXPECT_EQ(server.requests(), 30u);
}

TEST(ClientRunTest, SendsTheConfiguredMethodHeadersAndBody) {
  ScriptedServer server(Behaviour::keep_alive);
  client::Options options = options_for(3, 1);
  options.request.method = "POST";
  options.request.headers.push_back({"X-Test", "yes"});
  options.request.body = "payload";
  const client::RunResult r = run_ok(options, server.address());
  EXPECT_EQ(r.stats.succeeded, 3u);
  const std::string request = server.last_request();
  EXPECT_EQ(request.rfind("POST / HTTP/1.1\r\n", 0), 0u) << request;
  EXPECT_NE(request.find("X-Test: yes\r\n"), std::string::npos) << request;
  EXPECT_NE(request.find("Content-Length: 7\r\n"), std::string::npos) << request;
  EXPECT_EQ(request.substr(request.size() - 7), "payload");
}

TEST(ClientRunTest, ReportsProgressWhileRunning) {
  ScriptedServer server(Behaviour::keep_alive);
  client::Options options = options_for(30, 1);
  options.plan.rate = 100;  // about 0.3 s, so several 20 ms ticks happen
  std::atomic<int> calls{0};
  auto result = client::run(
      options, server.address(),
      [&](const client::Progress& p) {
        EXPECT_LE(p.done, 30u);
        ++calls;
      },
      20ms);
  ASSERT_TRUE(result.ok());
  EXPECT_GT(calls.load(), 0);
}

}  // namespace

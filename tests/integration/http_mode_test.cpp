// The real load_balancer in HTTP mode (the L7 reverse proxy), all on 127.0.0.1 ephemeral ports:
// in front of real web_server processes, of in-test fake backends that misbehave on purpose, and
// facing raw-byte clients that send what a proxy must refuse.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/address.hpp"
#include "common/socket.hpp"
#include "common/websocket.hpp"
#include "tests/integration/cluster.hpp"
#include "tests/integration/harness.hpp"

namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using Clock = std::chrono::steady_clock;
using namespace harness;
using nlohmann::json;

// Bounds for single exchanges: far above what any of them takes, even under TSan on a loaded
// machine. A response that only ends with the timeout counts as "the connection stayed open".
constexpr auto kExchangeTimeout = 60s;
constexpr auto kClosedWithin = 30s;

harness::Process start_balancer(const std::string& backends, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {harness::exe("load_balancer"), "--mode", "http"};
  argv.insert(argv.end(), {"--listen", "127.0.0.1:0", "--backends", backends});
  argv.insert(argv.end(), extra.begin(), extra.end());
  return harness::Process(std::move(argv));
}

// One GET / on a new connection through the balancer: the backend's name, or "" on failure.
std::string get_backend(const std::string& balancer) {
  const std::string response = harness::exchange(balancer, harness::get_request("/"));
  return harness::status_of(response) == 200 ? field_of(response, "x-backend") : "";
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> split_spaces(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

common::Fd connect_to(const std::string& address) {
  auto fd = common::connect_tcp(*common::parse_address(address), kExchangeTimeout);
  EXPECT_TRUE(fd.ok()) << address;
  if (!fd) return {};
  EXPECT_TRUE(common::set_io_timeouts(*fd, kExchangeTimeout, kExchangeTimeout).ok());
  return std::move(*fd);
}

// What the peer sends until it closes (closed == true), fails, or the receive timeout passes.
struct Received {
  std::string bytes;
  bool closed = false;
};

Received read_until_closed(const common::Fd& fd) {
  Received received;
  char buffer[8192];
  for (;;) {
    auto n = common::recv_some(fd, buffer, sizeof buffer);
    if (!n || *n == 0) {
      received.closed = n.ok() || n.error().code == common::Errc::reset;
      return received;
    }
    received.bytes.append(buffer, *n);
  }
}

// Reads until `in` holds a whole message head plus `body` more bytes after it; false if the peer
// closed or failed first.
bool read_head_and(const common::Fd& fd, std::string& in, size_t body) {
  char buffer[8192];
  for (;;) {
    const size_t end = in.find("\r\n\r\n");
    if (end != std::string::npos && in.size() >= end + 4 + body) return true;
    auto n = common::recv_some(fd, buffer, sizeof buffer);
    if (!n || *n == 0) return false;
    in.append(buffer, *n);
  }
}

// One response with a Content-Length body from a connection that stays open; "" on a failure.
std::string read_one_response(const common::Fd& fd) {
  std::string response;
  if (!read_head_and(fd, response, 0)) return "";
  const std::string length = field_of(response, "content-length");
  if (length.empty()) return "";
  return read_head_and(fd, response, std::stoul(length)) ? response : "";
}

// ---- A keep-alive load run through the balancer ----

// How many responses the run counted from the backend named `name` (its X-Backend).
int backend_count(const json& result, const std::string& name) {
  return result.value("backends", json::object()).value(name, 0);
}

json run_client(harness::Process& client) {
  const int status = client.wait_exit(120s);
  EXPECT_EQ(status, 0) << client.err();
  try {
    return json::parse(client.out());
  } catch (const json::exception& e) {
    ADD_FAILURE() << e.what() << "\nstdout:\n" << client.out() << "\nstderr:\n" << client.err();
    return json::object();
  }
}

harness::Process start_client(const std::string& balancer, std::vector<std::string> args) {
  std::vector<std::string> argv = {harness::exe("client"), "http://" + balancer + "/", "--json"};
  argv.insert(argv.end(), args.begin(), args.end());
  return harness::Process(std::move(argv));
}

size_t lines_naming(const std::string& path, const std::string& word) {
  const auto lines = read_lines(path);
  return static_cast<size_t>(std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.find(" " + word + " ") != std::string::npos;
  }));
}

// In-flight and pooled requests of a killed server are replayed elsewhere; none reaches the client
// as a failure, and the restarted server is used again once its checks pass.
TEST(HttpModeTest, KeepAliveRunHasNoFailuresWhenAServerIsKilledAndRestarted) {
  auto servers = start_web_servers(4);
  const std::string log_path = harness::temp_dir() + "/access.log";
  harness::Process balancer = start_balancer(
      backends_flag(servers),
      {"--health-check", "http", "--health-interval", "200ms", "--access-log", log_path});
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  harness::Process client = start_client(address, {"--duration", "4s", "--concurrency", "8"});

  // The kill must fall inside the run: wait until the victim has answered through the balancer.
  const std::string killed = servers[3]->address;
  ASSERT_TRUE(eventually([&] { return lines_naming(log_path, killed) > 0; }))
      << "no request reached " << killed << "\n"
      << balancer.err() << client.err();
  std::this_thread::sleep_for(1s);  // timing the fault, not waiting for readiness
  ASSERT_TRUE(client.running()) << "the run ended before the kill";
  servers[3]->process.signal(SIGKILL);
  ASSERT_EQ(servers[3]->process.wait_exit(), 128 + SIGKILL);
  std::this_thread::sleep_for(1s);
  servers[3] = start_web_server("s3-restarted", killed);
  ASSERT_FALSE(servers[3]->address.empty());

  const json result = run_client(client);
  EXPECT_GT(result.value("requests", 0), 0);
  EXPECT_EQ(result.value("failed", -1), 0) << result.dump(1) << "\n" << balancer.err();
  EXPECT_GT(backend_count(result, "s3"), 0) << result.dump(1);
  EXPECT_TRUE(eventually([&] { return get_backend(address) == "s3-restarted"; })) << balancer.err();
}

// Each request is balanced on its own, so two keep-alive connections still reach all four.
TEST(HttpModeTest, SpreadsRequestsOfFewKeepAliveConnectionsEvenly) {
  auto servers = start_web_servers(4);
  harness::Process balancer = start_balancer(backends_flag(servers));
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  harness::Process client = start_client(address, {"--requests", "400", "--concurrency", "2"});
  const json result = run_client(client);
  EXPECT_EQ(result.value("succeeded", -1), 400) << result.dump(1);
  EXPECT_EQ(result.value("backends", json::object()).size(), 4u) << result.dump(1);
  for (const auto& server : {"s0", "s1", "s2", "s3"}) {
    EXPECT_NEAR(backend_count(result, server), 100, 20) << server << "\n" << result.dump(1);
  }
}

// ---- Requests a proxy must refuse ----

struct HostileRequest {
  const char* name;
  std::string bytes;
  int status;
};

std::vector<HostileRequest> hostile_requests() {
  const std::string post = "POST / HTTP/1.1\r\nHost: test\r\n";
  return {
      {"TransferEncodingAndContentLength",
       post + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400},
      {"TwoDifferentContentLengths", post + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
       400},
      {"TransferEncodingNotEndingInChunked", post + "Transfer-Encoding: gzip\r\n\r\nxxxx", 400},
      {"UnknownTransferCoding", post + "Transfer-Encoding: foo, chunked\r\n\r\n0\r\n\r\n", 501},
      {"BadChunkSize", post + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400},
      {"SpaceBeforeColon", "GET / HTTP/1.1\r\nHost: test\r\nX-A : 1\r\n\r\n", 400},
      {"ObsFold", "GET / HTTP/1.1\r\nHost: test\r\nX-A: 1\r\n  more\r\n\r\n", 400},
      {"BareLf", "GET / HTTP/1.1\nHost: test\n\n", 400},
      {"MissingHost", "GET / HTTP/1.1\r\nX-A: 1\r\n\r\n", 400},
      {"TwoHosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"HeaderOf20KiB",
       "GET / HTTP/1.1\r\nHost: test\r\nX-Big: " + std::string(20 * 1024, 'a') + "\r\n\r\n", 431},
      {"UriOf10KiB", "GET /" + std::string(10 * 1024, 'a') + " HTTP/1.1\r\nHost: test\r\n\r\n",
       414},
      {"ContentLengthOverMaxBody", post + "Content-Length: 2048\r\n\r\n" + std::string(2048, 'b'),
       413},
      {"ChunkedBodyOverMaxBody",
       post + "Transfer-Encoding: chunked\r\n\r\n800\r\n" + std::string(2048, 'b') +
           "\r\n0\r\n\r\n",
       413},
      {"NulInValue", "GET / HTTP/1.1\r\nHost: test\r\nX-A: a\0b\r\n\r\n"s, 400},
      // Forwarded as "chunked" alone, the body would lose its gzip coding.
      {"CodingNotApplied", post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
      {"ChunkExtensionWithoutName",
       post + "Transfer-Encoding: chunked\r\n\r\n2;\r\nab\r\n0\r\n\r\n", 400},
      {"ChunkExtensionUnclosedQuote",
       post + "Transfer-Encoding: chunked\r\n\r\n5;a=\"x\r\nhello\r\n0\r\n\r\n", 400},
      {"AuthorityFormOutsideConnect",
       "PUT test:80 HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n", 400},
      // A TLS ClientHello on the plain port: refused at once, not after --client-timeout.
      {"TlsClientHello", "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"s, 400},
  };
}

// Every refusal ends the connection (although the client asked to keep it), the balancer serves
// the next request, and no connection thread is left behind.
TEST(HttpModeTest, RefusesMalformedAndHostileRequestsAndClosesTheConnection) {
  auto servers = start_web_servers(1);
  harness::Process balancer = start_balancer(servers[0]->address, {"--max-body", "1k"});
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  // Before any connection: the threads of the process itself.
  const int threads_before = harness::threads_outside_accept(balancer.pid());
  ASSERT_GT(threads_before, 0);

  for (const HostileRequest& request : hostile_requests()) {
    SCOPED_TRACE(request.name);
    const auto start = Clock::now();
    const std::string response = harness::exchange(address, request.bytes, kExchangeTimeout);
    EXPECT_LT(Clock::now() - start, kClosedWithin) << "the connection was not closed";
    EXPECT_EQ(harness::status_of(response), request.status) << response.substr(0, 300);
    EXPECT_EQ(field_of(response, "connection"), "close") << response.substr(0, 300);
    EXPECT_EQ(get_backend(address), "s0") << balancer.err();
  }
  // A connection thread whose session ended waits in accept() again; one still serving a
  // connection never does, so the count returns to where it was only if every session ended.
  EXPECT_TRUE(eventually(
      [&] { return harness::threads_outside_accept(balancer.pid()) <= threads_before; }, 60s))
      << harness::threads_outside_accept(balancer.pid()) << " threads at work, " << threads_before
      << " before";
}

// A head that never ends (sent at once, or trickled) gets 408 once --client-timeout passes since
// its first byte, and the connection closes.
class HttpModeSlowlorisTest : public testing::TestWithParam<bool> {};

TEST_P(HttpModeSlowlorisTest, HeadThatNeverEndsGets408AndIsClosed) {
  const bool trickle = GetParam();
  auto servers = start_web_servers(1);
  harness::Process balancer = start_balancer(servers[0]->address, {"--client-timeout", "1s"});
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  const common::Fd fd = connect_to(address);
  ASSERT_TRUE(fd.valid());
  const auto start = Clock::now();
  ASSERT_TRUE(common::send_all(fd, "GET / HTTP/1.1\r\nHost: te").ok());
  // A byte every 200 ms (each one a new line) until the balancer answers; each would reset a
  // timer that counted from the last byte.
  for (int sent = 0; trickle && sent < 300; ++sent) {
    pollfd p{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, 200) != 0) break;
    if (!common::send_all(fd, sent % 2 == 0 ? "\r" : "\nX-Slow: 1").ok()) break;
  }
  const Received received = read_until_closed(fd);
  EXPECT_TRUE(received.closed) << "not closed: " << received.bytes;
  EXPECT_EQ(harness::status_of(received.bytes), 408) << received.bytes;
  EXPECT_GE(Clock::now() - start, 900ms) << "answered before the timeout passed";
  EXPECT_LT(Clock::now() - start, kClosedWithin);
}

INSTANTIATE_TEST_SUITE_P(HttpModeTest, HttpModeSlowlorisTest, testing::Bool(),
                         [](const testing::TestParamInfo<bool>& param) {
                           return param.param ? "Trickled" : "Stalled";
                         });

// A request body whose every byte comes within --client-timeout still gets 408 once its rate
// stays below the minimum past --client-timeout, and the balancer serves others meanwhile.
TEST(HttpModeTest, BodyTricklingBelowTheMinimumRateGets408) {
  auto servers = start_web_servers(1);
  harness::Process balancer = start_balancer(servers[0]->address, {"--client-timeout", "1s"});
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  std::string response;
  std::thread slow([&] {
    response = harness::trickle_body(
        address, "PUT /kv/slow HTTP/1.1\r\nHost: test\r\nContent-Length: 100000\r\n\r\n", 200ms,
        20s);
  });
  EXPECT_EQ(harness::status_of(harness::exchange(address, harness::get_request("/health"))), 200);
  slow.join();
  EXPECT_EQ(harness::status_of(response), 408) << response;
}

// ---- Backends that fail the proxy ----

// Reads a request head (up to its blank line) from a backend's accepted connection; "" when the
// peer closed without one (a TCP health check).
std::string read_request_head(const common::Fd& fd) {
  std::string head;
  return read_head_and(fd, head, 0) ? head : "";
}

// An in-test backend on 127.0.0.1:0: one thread accepts connections and passes each to `handle`,
// one at a time (each test sends one request, plus the balancer's connect-only health checks).
class FakeBackend {
 public:
  using Handler = std::function<void(common::Fd)>;

  explicit FakeBackend(Handler handle) {
    auto listener = common::listen_tcp(*common::parse_address("127.0.0.1:0"));
    if (!listener) {
      ADD_FAILURE() << listener.error().message;
      return;
    }
    listener_ = std::move(*listener);
    address_ = common::local_address(listener_)->to_string();
    thread_ = std::thread([this, handle = std::move(handle)] { accept_loop(handle); });
  }
  ~FakeBackend() {
    // accept() then fails with EINVAL: the loop ends; each handler is bounded by its timeouts.
    ::shutdown(listener_.get(), SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
  }
  FakeBackend(const FakeBackend&) = delete;
  FakeBackend& operator=(const FakeBackend&) = delete;

  const std::string& address() const { return address_; }

 private:
  void accept_loop(const Handler& handle) {
    for (;;) {
      common::Accepted accepted = common::accept_connection(listener_);
      if (accepted.outcome == common::AcceptOutcome::retry) continue;
      if (accepted.outcome != common::AcceptOutcome::accepted) return;
      (void)common::set_io_timeouts(accepted.fd, 10s, 10s);
      handle(std::move(accepted.fd));
    }
  }

  common::Fd listener_;
  std::string address_;
  std::thread thread_;
};

TEST(HttpModeBackendTest, BackendThatNeverAnswersGets504) {
  std::vector<common::Fd> held;  // used by the backend's thread only, until it is joined
  FakeBackend backend([&held](common::Fd fd) { held.push_back(std::move(fd)); });
  harness::Process balancer = start_balancer(backend.address(), {"--server-timeout", "1s"});
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  const std::string response =
      harness::exchange(address, harness::get_request("/"), kExchangeTimeout);
  EXPECT_EQ(harness::status_of(response), 504) << response << balancer.err();
}

TEST(HttpModeBackendTest, BackendThatAnswersGarbageGets502) {
  FakeBackend backend([](common::Fd fd) {
    if (!read_request_head(fd).empty()) (void)common::send_all(fd, "HELLO\r\n\r\n");
  });
  harness::Process balancer = start_balancer(backend.address());
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  const std::string response =
      harness::exchange(address, harness::get_request("/"), kExchangeTimeout);
  EXPECT_EQ(harness::status_of(response), 502) << response << balancer.err();
}

// A backend's response, sent whole to the first request it gets; the heads it received.
class ScriptedBackend {
 public:
  explicit ScriptedBackend(std::string response)
      : backend_([this, response = std::move(response)](common::Fd fd) {
          const std::string head = read_request_head(fd);
          if (head.empty()) return;
          {
            std::lock_guard lock(mutex_);
            heads_.push_back(head);
          }
          (void)common::send_all(fd, response);
          // Whatever the client sends next reaches the backend only through a tunnel.
          std::string more;
          if (read_head_and(fd, more, 0)) {
            std::lock_guard lock(mutex_);
            heads_.push_back(more);
          }
        }) {}
  const std::string& address() const { return backend_.address(); }
  std::vector<std::string> heads() {
    std::lock_guard lock(mutex_);
    return heads_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> heads_;
  FakeBackend backend_;  // last: its thread stops before the fields it uses go
};

// h2c smuggling: a handshake that lists h2c beside websocket goes on as websocket alone, and a
// 101 to h2c opens no tunnel, so the request behind it cannot reach the backend unseen.
TEST(HttpModeBackendTest, SwitchToAnotherProtocolThanWebSocketGets502AndNoTunnel) {
  ScriptedBackend backend(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n");
  harness::Process balancer = start_balancer(backend.address());
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  const std::string smuggled = "GET /admin HTTP/1.1\r\nHost: test\r\n\r\n";
  const std::string response = harness::exchange(
      address,
      "GET / HTTP/1.1\r\nHost: test\r\nUpgrade: websocket, h2c\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" +
          smuggled,
      kExchangeTimeout);
  EXPECT_EQ(harness::status_of(response), 502) << response << balancer.err();
  const std::vector<std::string> heads = backend.heads();
  ASSERT_FALSE(heads.empty()) << balancer.err();
  EXPECT_NE(heads[0].find("\r\nUpgrade: websocket\r\n"), std::string::npos) << heads[0];
  EXPECT_EQ(heads[0].find("h2c"), std::string::npos) << heads[0];
  for (const std::string& head : heads) EXPECT_EQ(head.find("/admin"), std::string::npos) << head;
}

// RFC 9112 §2.2: an empty line before a status line may be skipped, as after a 100 Continue.
TEST(HttpModeBackendTest, EmptyLineAfterContinueIsTolerated) {
  ScriptedBackend backend(
      "HTTP/1.1 100 Continue\r\n\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n");
  harness::Process balancer = start_balancer(backend.address());
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  const std::string response =
      harness::exchange(address, harness::get_request("/"), kExchangeTimeout);
  const size_t final_head = response.find("HTTP/1.1 200 ");
  ASSERT_NE(final_head, std::string::npos) << response << balancer.err();
  EXPECT_TRUE(response.ends_with("\r\n\r\nok\n")) << response;
}

// A chunked response the balancer refuses before any of it went out is answered, not cut.
TEST(HttpModeBackendTest, InvalidChunkedResponseBodyGets502) {
  for (const char* body : {"zz\r\nhello\r\n0\r\n\r\n", "5;=x\r\nhello\r\n0\r\n\r\n"}) {
    SCOPED_TRACE(body);
    ScriptedBackend backend("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"s + body);
    harness::Process balancer = start_balancer(backend.address());
    const std::string address = balancer.wait_listening();
    ASSERT_FALSE(address.empty()) << balancer.err();
    const std::string response =
        harness::exchange(address, harness::get_request("/"), kExchangeTimeout);
    EXPECT_EQ(harness::status_of(response), 502) << response << balancer.err();
  }
}

// Once part of a response is out, only closing the connection tells the client it is cut short:
// it must never look complete.
TEST(HttpModeBackendTest, ResponseCutShortByAResetClosesTheClientConnection) {
  FakeBackend backend([](common::Fd fd) {
    if (read_request_head(fd).empty()) return;
    (void)common::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n0123456789");
    const linger reset{1, 0};  // close() sends RST instead of FIN
    (void)::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  });
  harness::Process balancer = start_balancer(backend.address());
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  // Keep-alive asked for: the balancer, not the request, must end the connection.
  const common::Fd fd = connect_to(address);
  ASSERT_TRUE(fd.valid());
  ASSERT_TRUE(common::send_all(fd, "GET / HTTP/1.1\r\nHost: test\r\n\r\n").ok());
  const Received received = read_until_closed(fd);
  EXPECT_TRUE(received.closed) << "the client connection was not closed";
  const size_t head_end = received.bytes.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << received.bytes << balancer.err();
  EXPECT_EQ(harness::status_of(received.bytes), 200) << received.bytes;
  EXPECT_LT(received.bytes.size() - head_end - 4, 100000u);
}

TEST(HttpModeBackendTest, NoBackendUpGets503WithRetryAfter) {
  harness::Process balancer =
      start_balancer(free_address() + "," + free_address(), {"--connect-timeout", "200ms"});
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  const std::string response =
      harness::exchange(address, harness::get_request("/"), kExchangeTimeout);
  EXPECT_EQ(harness::status_of(response), 503) << response << balancer.err();
  EXPECT_FALSE(field_of(response, "retry-after").empty()) << response;
}

// The backend sees where the request came from and through whom, and nothing that described the
// client's connection to the balancer.
TEST(HttpModeBackendTest, AppendsForwardedForAndDropsHopByHopFields) {
  std::mutex mutex;
  std::string seen;  // the request head the backend received
  FakeBackend backend([&](common::Fd fd) {
    const std::string head = read_request_head(fd);
    if (head.empty()) return;
    {
      std::lock_guard lock(mutex);
      seen = head;
    }
    (void)common::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n");
  });
  harness::Process balancer = start_balancer(backend.address());
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  const common::Fd fd = connect_to(address);
  ASSERT_TRUE(fd.valid());
  ASSERT_TRUE(common::send_all(fd,
                               "GET /where HTTP/1.1\r\nHost: site.test\r\n"
                               "X-Forwarded-For: 10.1.2.3\r\nConnection: keep-alive, X-Secret\r\n"
                               "X-Secret: 1\r\nKeep-Alive: 5\r\nTE: trailers\r\n"
                               "Proxy-Connection: x\r\nX-Kept: yes\r\n\r\n")
                  .ok());
  EXPECT_EQ(harness::status_of(read_one_response(fd)), 200) << balancer.err();

  std::lock_guard lock(mutex);
  EXPECT_EQ(seen.rfind("GET /where HTTP/1.1\r\n", 0), 0u) << seen;
  EXPECT_EQ(field_of(seen, "x-forwarded-for"), "10.1.2.3, 127.0.0.1") << seen;
  EXPECT_EQ(field_of(seen, "x-forwarded-proto"), "http") << seen;
  EXPECT_EQ(field_of(seen, "x-forwarded-host"), "site.test") << seen;
  EXPECT_EQ(field_of(seen, "host"), "site.test") << seen;
  EXPECT_FALSE(field_of(seen, "via").empty()) << seen;
  EXPECT_EQ(field_of(seen, "x-kept"), "yes") << seen;
  // Each of these was sent with a non-empty value: an empty lookup means it was removed.
  for (const char* name : {"x-secret", "keep-alive", "te", "proxy-connection"}) {
    EXPECT_EQ(field_of(seen, name), "") << name << "\n" << seen;
  }
  std::string lower = seen;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  EXPECT_EQ(lower.find("x-secret"), std::string::npos) << seen;
}

// ---- WebSocket through the balancer ----

constexpr std::string_view kHandshake =
    "GET /ws HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

// A frame as a client sends it: masked.
std::string client_frame(common::ws::Opcode opcode, std::string payload) {
  const std::array<uint8_t, 4> mask{0x12, 0x34, 0x56, 0x78};
  std::string frame;
  common::ws::append_frame_header(frame, opcode, true, payload.size(), &mask);
  common::ws::apply_mask(payload.data(), payload.size(), mask, 0);
  return frame + payload;
}

TEST(HttpModeWebSocketTest, RawHandshakeAndFrameAreEchoedThroughTheTunnel) {
  auto servers = start_web_servers(1);
  harness::Process balancer = start_balancer(servers[0]->address);
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  const common::Fd fd = connect_to(address);
  ASSERT_TRUE(fd.valid());
  ASSERT_TRUE(common::send_all(fd, kHandshake).ok());
  std::string in;
  ASSERT_TRUE(read_head_and(fd, in, 0)) << in << balancer.err();
  ASSERT_EQ(harness::status_of(in), 101) << in;
  // RFC 6455 §1.3's example key and its accept value.
  EXPECT_EQ(field_of(in, "sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") << in;
  in.erase(0, in.find("\r\n\r\n") + 4);

  ASSERT_TRUE(common::send_all(fd, client_frame(common::ws::Opcode::text, "hello")).ok());
  std::string expected;
  common::ws::append_frame_header(expected, common::ws::Opcode::text, true, 5);
  expected += "hello";
  char buffer[256];
  while (in.size() < expected.size()) {
    auto n = common::recv_some(fd, buffer, sizeof buffer);
    ASSERT_TRUE(n.ok() && *n > 0) << "tunnel closed after " << in.size() << " bytes";
    in.append(buffer, *n);
  }
  EXPECT_EQ(in, expected);

  // A close (1000) is answered with a close, and then both connections end.
  ASSERT_TRUE(common::send_all(fd, client_frame(common::ws::Opcode::close, "\x03\xe8")).ok());
  const Received received = read_until_closed(fd);
  EXPECT_TRUE(received.closed);
  ASSERT_GE(received.bytes.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(received.bytes[0]), 0x88) << "not a final close frame";
}

std::string python_path() {
  for (const char* path : {"/usr/bin/python3", "/usr/local/bin/python3"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return "";
}

constexpr std::string_view kPythonEcho = R"(import asyncio, sys
import websockets

async def main(url):
    async with websockets.connect(url) as ws:
        for i in range(3):
            text = "message %d" % i
            await ws.send(text)
            reply = await ws.recv()
            if reply != text:
                print("sent %r, got %r" % (text, reply), file=sys.stderr)
                return 1
    return 0

sys.exit(asyncio.run(asyncio.wait_for(main(sys.argv[1]), 60)))
)";

TEST(HttpModeWebSocketTest, IndependentClientGetsThreeEchoes) {
  const std::string python = python_path();
  if (python.empty()) GTEST_SKIP() << "no python3 in /usr/bin or /usr/local/bin";
  harness::Process probe({python, "-c", "import websockets"});
  if (probe.wait_exit() != 0) {
    GTEST_SKIP() << python << " cannot import the websockets module: " << probe.err();
  }
  auto servers = start_web_servers(1);
  harness::Process balancer = start_balancer(servers[0]->address);
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  const std::string script = harness::temp_dir() + "/ws_echo.py";
  std::ofstream(script) << kPythonEcho;
  harness::Process client({python, script, "ws://" + address + "/ws"});
  EXPECT_EQ(client.wait_exit(120s), 0) << client.err() << "\n" << balancer.err();
}

// ---- Operations ----

TEST(HttpModeTest, AccessLogHasOneLinePerRequest) {
  auto servers = start_web_servers(1);
  const std::string log_path = harness::temp_dir() + "/access.log";
  harness::Process balancer = start_balancer(servers[0]->address, {"--access-log", log_path});
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  const std::vector<std::string> paths = {"/", "/whoami", "/health"};
  for (const std::string& path : paths) {
    EXPECT_EQ(harness::status_of(harness::exchange(address, harness::get_request(path))), 200);
  }
  // A line is written once its response is sent, so it may trail the client a little.
  ASSERT_TRUE(eventually([&] { return read_lines(log_path).size() >= paths.size(); }))
      << balancer.err();
  const auto lines = read_lines(log_path);
  ASSERT_EQ(lines.size(), paths.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    // time client method target status backend bytes-in bytes-out ms retries
    const auto words = split_spaces(lines[i]);
    ASSERT_EQ(words.size(), 10u) << lines[i];
    EXPECT_EQ(words[2], "GET") << lines[i];
    EXPECT_EQ(words[3], paths[i]) << lines[i];
    EXPECT_EQ(words[4], "200") << lines[i];
    EXPECT_EQ(words[5], servers[0]->address) << lines[i];
  }
}

// An idle keep-alive connection is between requests: shutting down need not wait for it, let
// alone for the drain timeout.
TEST(HttpModeTest, SigtermWithAnIdleKeepAliveClientExitsZeroPromptly) {
  auto servers = start_web_servers(1);
  harness::Process balancer = start_balancer(servers[0]->address, {"--drain-timeout", "10m"});
  const std::string address = balancer.wait_listening();
  ASSERT_FALSE(address.empty()) << balancer.err();
  const common::Fd fd = connect_to(address);
  ASSERT_TRUE(fd.valid());
  ASSERT_TRUE(common::send_all(fd, "GET / HTTP/1.1\r\nHost: test\r\n\r\n").ok());
  ASSERT_EQ(harness::status_of(read_one_response(fd)), 200) << balancer.err();

  balancer.signal(SIGTERM);
  EXPECT_EQ(balancer.wait_exit(30s), 0) << balancer.err();
  EXPECT_EQ(balancer.err().find("drain timeout passed"), std::string::npos) << balancer.err();
  const Received received = read_until_closed(fd);
  EXPECT_TRUE(received.closed);
  EXPECT_EQ(received.bytes, "");
}

}  // namespace

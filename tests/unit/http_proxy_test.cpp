// serve_http_session driven in-process: a real listening socket in front, fake backends behind
// (raw sockets on 127.0.0.1 that answer canned bytes), and raw clients that write exactly the
// bytes under test.
#include "load_balancer/http_proxy.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/chunked.hpp"
#include "common/http_parser.hpp"
#include "common/tcp_server.hpp"
#include "tests/unit/net_test_support.hpp"

namespace lb {
namespace {

using namespace std::chrono_literals;

// ---- Reading messages off a socket, for fake backends and test clients alike ----

// Bytes read from one socket and not yet used, so that messages are read one after another.
class Wire {
 public:
  explicit Wire(const common::Fd& fd) : fd_(fd) {}
  // Reads once more; false when the peer closed or failed.
  bool fill() {
    char buffer[16384];
    auto n = common::recv_some(fd_, buffer, sizeof buffer);
    if (!n || *n == 0) return false;
    data.append(buffer, *n);
    return true;
  }
  std::string data;

 private:
  const common::Fd& fd_;
};

struct Message {
  bool complete = false;  // head and body arrived whole
  std::string head;       // as received, blank line included
  std::string method;     // of a request
  std::string target;
  int status = 0;    // of a response; 0 when none arrived
  std::string body;  // decoded
  // The head has this exact field line.
  bool has(std::string_view line) const {
    return head.find("\r\n" + std::string(line) + "\r\n") != std::string::npos;
  }
  bool mentions(std::string_view text) const { return head.find(text) != std::string::npos; }
};

// Takes a body framed as `framing` off the front of wire.data, reading more as needed.
bool read_body(Wire& wire, const common::BodyFraming& framing, std::string& body) {
  switch (framing.kind) {
    case common::BodyKind::none:
      return true;
    case common::BodyKind::content_length:
      while (wire.data.size() < framing.length) {
        if (!wire.fill()) return false;
      }
      body = wire.data.substr(0, framing.length);
      wire.data.erase(0, framing.length);
      return true;
    case common::BodyKind::until_close:
      while (wire.fill()) {
      }
      body = std::move(wire.data);
      wire.data.clear();
      return true;
    case common::BodyKind::chunked:
      break;
  }
  common::ChunkedDecoder decoder;
  for (;;) {
    const auto step = decoder.feed(wire.data);
    body.append(step.data);
    wire.data.erase(0, step.consumed);
    if (step.error != common::HttpError::none) return false;
    if (step.done) return true;
    if (wire.data.empty() && !wire.fill()) return false;
  }
}

std::optional<Message> read_request(Wire& wire) {
  common::RequestHead head;
  for (;;) {
    const auto parsed = common::parse_request_head(wire.data, {}, head);
    if (parsed.state == common::ParseState::error) return std::nullopt;
    if (parsed.state == common::ParseState::complete) {
      Message message;
      message.head = wire.data.substr(0, parsed.consumed);
      message.method = head.method;
      message.target = head.target;
      const common::BodyFraming framing = common::request_body_framing(head);
      wire.data.erase(0, parsed.consumed);
      message.complete = read_body(wire, framing, message.body);
      return message;
    }
    if (!wire.fill()) return std::nullopt;
  }
}

Message read_response(Wire& wire, std::string_view method) {
  common::ResponseHead head;
  Message message;
  for (;;) {
    const auto parsed = common::parse_response_head(wire.data, {}, head);
    if (parsed.state == common::ParseState::error) return message;
    if (parsed.state == common::ParseState::complete) {
      message.head = wire.data.substr(0, parsed.consumed);
      message.status = head.status;
      const common::BodyFraming framing = common::response_body_framing(head, method);
      wire.data.erase(0, parsed.consumed);
      message.complete = read_body(wire, framing, message.body);
      return message;
    }
    if (!wire.fill()) return message;
  }
}

std::string ok_response(std::string_view body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         std::string(body);
}

// ---- Fake backends ----

class FakeBackend {
 public:
  // What the backend does with one accepted connection (on that connection's own thread).
  using Behaviour = std::function<void(const common::Fd& connection, FakeBackend& self)>;

  explicit FakeBackend(Behaviour behaviour) : behaviour_(std::move(behaviour)) {
    common::TcpServer::Options options;
    options.listen = net_test::loopback();
    auto server =
        common::TcpServer::open(options, [this](const common::Fd& fd, const common::Address&) {
          ++connections_;
          (void)common::set_io_timeouts(fd, 10s, 10s);
          behaviour_(fd, *this);
        });
    if (!server) throw std::runtime_error(server.error().message);
    server_ = std::move(*server);
    if (auto started = server_->start(); !started) {
      throw std::runtime_error(started.error().message);
    }
  }
  ~FakeBackend() { stop(); }

  // Stops accepting and wakes every connection's thread (their reads see the end).
  void stop() {
    server_->stop();
    server_->shutdown_connections(SHUT_RDWR);
  }

  std::string address() const { return server_->local_address().to_string(); }
  int connections() const { return connections_.load(); }
  void record(const Message& request) {
    std::lock_guard lock(mutex_);
    seen_.push_back(request);
  }
  std::vector<Message> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  const Behaviour behaviour_;
  mutable std::mutex mutex_;
  std::vector<Message> seen_;
  std::atomic<int> connections_{0};
  std::unique_ptr<common::TcpServer> server_;  // destroyed first: it joins the handlers
};

// Answers every request on a connection with respond(request) until the client closes.
FakeBackend::Behaviour answering(std::function<std::string(const Message&)> respond) {
  return [respond](const common::Fd& fd, FakeBackend& self) {
    Wire wire(fd);
    while (auto request = read_request(wire)) {
      self.record(*request);
      if (!common::send_all(fd, respond(*request))) return;
    }
  };
}

// Reads one request, then does `act` with the connection (and closes it).
FakeBackend::Behaviour after_request(std::function<void(const common::Fd&, Wire&)> act) {
  return [act](const common::Fd& fd, FakeBackend& self) {
    Wire wire(fd);
    if (auto request = read_request(wire)) {
      self.record(*request);
      act(fd, wire);
    }
  };
}

// Makes the coming close of fd send RST instead of FIN.
void reset_on_close(const common::Fd& fd) {
  const linger abort_on_close{1, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
}

void wait_for_close(const common::Fd& fd, Wire& wire) {
  while (wire.fill()) {
  }
  (void)fd;
}

// ---- The proxy and its clients ----

class Client {
 public:
  explicit Client(const common::Address& proxy) : wire_(fd_) {
    auto fd = common::connect_tcp(proxy, 5s);
    if (!fd) throw std::runtime_error(fd.error().message);
    fd_ = std::move(*fd);
    (void)common::set_io_timeouts(fd_, 10s, 10s);
  }
  void send(std::string_view bytes) { EXPECT_TRUE(try_send(bytes)); }
  // For a sender that expects the proxy to close on it; thread-safe against response().
  bool try_send(std::string_view bytes) { return common::send_all(fd_, bytes).ok(); }
  Message response(std::string_view method = "GET") { return read_response(wire_, method); }
  Message exchange(std::string_view request, std::string_view method = "GET") {
    send(request);
    return response(method);
  }
  // Exactly n bytes of what follows (tunnel traffic), or fewer if the connection ended.
  std::string read(size_t n) {
    while (wire_.data.size() < n && wire_.fill()) {
    }
    std::string out = wire_.data.substr(0, n);
    wire_.data.erase(0, out.size());
    return out;
  }
  // The proxy closed the connection and sent nothing more.
  bool closed() { return wire_.data.empty() && !wire_.fill(); }

 private:
  common::Fd fd_;
  Wire wire_;
};

std::string get(std::string_view target) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: example.org\r\n\r\n";
}

class HttpProxyTest : public testing::Test {
 protected:
  FakeBackend& add_backend(FakeBackend::Behaviour behaviour) {
    backends_.push_back(std::make_unique<FakeBackend>(std::move(behaviour)));
    return *backends_.back();
  }

  // Starts the proxy in front of the backends added so far. Fall 1: one failure takes a
  // backend down, and nothing brings it back (there are no active checks here).
  void start() {
    std::string list;
    for (const auto& backend : backends_) list += (list.empty() ? "" : ",") + backend->address();
    auto specs = parse_backend_list(list);
    ASSERT_TRUE(specs.ok()) << specs.error().message;
    pool_ = std::make_unique<BackendPool>(std::move(*specs), Thresholds{1, 1});
    upstreams_ = std::make_unique<UpstreamPool>();
    common::TcpServer::Options options;
    options.listen = net_test::loopback();
    auto server = common::TcpServer::open(
        options, [this](const common::Fd& client, const common::Address& peer) {
          serve_http_session(client, peer, *pool_, *upstreams_, options_);
        });
    ASSERT_TRUE(server.ok()) << server.error().message;
    server_ = std::move(*server);
    ASSERT_TRUE(server_->start().ok());
  }

  void TearDown() override {
    for (auto& backend : backends_) backend->stop();
    if (server_) {
      server_->stop();
      server_->shutdown_connections(SHUT_RDWR);
      server_.reset();
    }
    upstreams_.reset();
    pool_.reset();
    backends_.clear();
  }

  std::unique_ptr<Client> client() { return std::make_unique<Client>(server_->local_address()); }

  std::unique_ptr<AccessLog> access_log_;  // outlives the sessions that write to it
  HttpProxyOptions options_;
  std::vector<std::unique_ptr<FakeBackend>> backends_;
  std::unique_ptr<BackendPool> pool_;
  std::unique_ptr<UpstreamPool> upstreams_;
  std::unique_ptr<common::TcpServer> server_;
};

// ---- Forwarding ----

TEST_F(HttpProxyTest, ForwardsTheRequestWithForwardingFields) {
  FakeBackend& backend =
      add_backend(answering([](const Message& m) { return ok_response("hello " + m.target); }));
  start();
  auto c = client();
  const Message response =
      c->exchange("GET /x?y=1 HTTP/1.1\r\nHost: example.org\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello /x?y=1");
  EXPECT_TRUE(response.has("Via: 1.1 load_balancer"));
  const auto seen = backend.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_TRUE(seen[0].has("X-Forwarded-For: 1.2.3.4, 127.0.0.1")) << seen[0].head;
  EXPECT_TRUE(seen[0].has("X-Forwarded-Proto: http"));
  EXPECT_TRUE(seen[0].has("X-Forwarded-Host: example.org"));
  EXPECT_TRUE(seen[0].has("Via: 1.1 load_balancer"));
}

TEST_F(HttpProxyTest, BalancesEachRequestAndReusesBackendConnections) {
  FakeBackend& a = add_backend(answering([](const Message&) { return ok_response("a"); }));
  FakeBackend& b = add_backend(answering([](const Message&) { return ok_response("b"); }));
  start();
  auto c = client();
  std::string bodies;
  for (int i = 0; i < 6; ++i) bodies += c->exchange(get("/")).body;
  EXPECT_EQ(bodies, "ababab");
  // Each backend kept serving over the one connection the proxy opened to it.
  EXPECT_EQ(a.connections(), 1);
  EXPECT_EQ(b.connections(), 1);
}

TEST_F(HttpProxyTest, StripsHopByHopFieldsBothWays) {
  FakeBackend& backend = add_backend(answering([](const Message&) {
    return std::string(
        "HTTP/1.1 200 OK\r\nConnection: X-Internal\r\nX-Internal: 1\r\nKeep-Alive: timeout=5\r\n"
        "X-End-To-End: yes\r\nContent-Length: 2\r\n\r\nok");
  }));
  start();
  auto c = client();
  const Message response = c->exchange(
      "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\n"
      "Keep-Alive: timeout=5\r\nTE: trailers\r\nUpgrade: h2c\r\nProxy-Connection: keep-alive\r\n"
      "Trailer: X-Sum\r\nX-Kept: 1\r\n\r\n");
  EXPECT_EQ(response.status, 200);
  EXPECT_FALSE(response.mentions("X-Internal")) << response.head;
  EXPECT_FALSE(response.mentions("Keep-Alive"));
  EXPECT_FALSE(response.mentions("Connection"));
  EXPECT_TRUE(response.has("X-End-To-End: yes"));
  const Message request = backend.seen().at(0);
  for (const char* dropped :
       {"X-Secret", "Keep-Alive", "TE:", "Upgrade", "Proxy-Connection", "Trailer", "Connection"}) {
    EXPECT_FALSE(request.mentions(dropped)) << dropped << " in\n" << request.head;
  }
  EXPECT_TRUE(request.has("X-Kept: 1"));
}

TEST_F(HttpProxyTest, ReframesChunkedBodiesBothWays) {
  FakeBackend& backend = add_backend(answering([](const Message&) {
    return std::string(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nX-Trailer: t\r\n\r\n");
  }));
  start();
  auto c = client();
  c->send("POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
  c->send("lo\r\n6;name=value\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n");
  const Message response = c->response();
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(response.complete);
  EXPECT_TRUE(response.has("Transfer-Encoding: chunked"));
  EXPECT_EQ(response.body, "abcdefg");
  const Message request = backend.seen().at(0);
  EXPECT_TRUE(request.has("Transfer-Encoding: chunked"));
  EXPECT_EQ(request.body, "hello world");
  // The connection carries on after both chunked bodies ended where they should.
  EXPECT_EQ(c->exchange(get("/next")).status, 200);
}

TEST_F(HttpProxyTest, StreamsLargeBodiesIntactBothWays) {
  add_backend(answering([](const Message& m) { return ok_response(m.body); }));
  start();
  auto c = client();
  const std::string body = net_test::pattern(700 * 1024, 'a');  // beyond the replay buffer
  const Message response =
      c->exchange("PUT /big HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(body.size()) +
                  "\r\n\r\n" + body);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.size(), body.size());
  EXPECT_TRUE(response.body == body);
}

TEST_F(HttpProxyTest, ResponseUntilCloseIsChunkedForAnHttp11Client) {
  add_backend(after_request([](const common::Fd& fd, Wire&) {
    (void)common::send_all(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nstreamed body");
  }));
  start();
  auto c = client();
  const Message response = c->exchange(get("/"));
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(response.has("Transfer-Encoding: chunked")) << response.head;
  EXPECT_EQ(response.body, "streamed body");
  EXPECT_EQ(c->exchange(get("/again")).body, "streamed body");
}

TEST_F(HttpProxyTest, Http10ClientGetsTheBodyUntilClose) {
  add_backend(answering([](const Message&) {
    return std::string(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  }));
  start();
  auto c = client();
  const Message response = c->exchange("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(response.status, 200);
  EXPECT_FALSE(response.mentions("Transfer-Encoding"));
  EXPECT_TRUE(response.has("Connection: close"));
  EXPECT_EQ(response.body, "abc");
}

TEST_F(HttpProxyTest, AnswersPipelinedRequestsInOrder) {
  add_backend(answering([](const Message& m) { return ok_response(m.target); }));
  add_backend(answering([](const Message& m) { return ok_response(m.target); }));
  start();
  auto c = client();
  c->send(get("/1") + "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc" + get("/3"));
  EXPECT_EQ(c->response().body, "/1");
  EXPECT_EQ(c->response().body, "/2");
  EXPECT_EQ(c->response().body, "/3");
}

TEST_F(HttpProxyTest, HeadResponseKeepsItsLengthAndHasNoBody) {
  add_backend(answering([](const Message& m) {
    if (m.method == "HEAD") return std::string("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
    return ok_response("after");
  }));
  start();
  auto c = client();
  const Message head = c->exchange("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n", "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.has("Content-Length: 100"));
  EXPECT_EQ(c->exchange(get("/")).body, "after");
}

TEST_F(HttpProxyTest, AnswersExpectContinueBeforeTheBody) {
  FakeBackend& backend =
      add_backend(answering([](const Message& m) { return ok_response(m.body); }));
  start();
  auto c = client();
  c->send("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(c->response().status, 100);
  const Message response = c->exchange("hello");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello");
  EXPECT_FALSE(backend.seen().at(0).mentions("Expect"));
}

TEST_F(HttpProxyTest, ForwardsInterimResponsesThenTheFinalOne) {
  add_backend(answering([](const Message&) {
    return "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" +
           ok_response("ok");
  }));
  start();
  auto c = client();
  const Message interim = c->exchange(get("/"));
  EXPECT_EQ(interim.status, 103);
  EXPECT_TRUE(interim.has("Link: </style.css>; rel=preload"));
  const Message final_response = c->response();
  EXPECT_EQ(final_response.status, 200);
  EXPECT_EQ(final_response.body, "ok");
}

TEST_F(HttpProxyTest, WebSocketHandshakeBecomesATwoWayTunnel) {
  FakeBackend& backend = add_backend(after_request([](const common::Fd& fd, Wire& wire) {
    if (!common::send_all(fd,
                          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\n\r\nhello")) {
      return;
    }
    do {  // echo, starting with what came right after the handshake
      if (!common::send_all(fd, wire.data)) return;
      wire.data.clear();
    } while (wire.fill());
  }));
  start();
  auto c = client();
  c->send(
      "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\nping");
  const Message switched = c->response();
  EXPECT_EQ(switched.status, 101);
  EXPECT_TRUE(switched.has("Upgrade: websocket"));
  EXPECT_TRUE(switched.has("Connection: Upgrade"));
  EXPECT_EQ(c->read(9), "helloping");
  c->send("more bytes");
  EXPECT_EQ(c->read(10), "more bytes");
  const Message handshake = backend.seen().at(0);
  EXPECT_TRUE(handshake.has("Upgrade: websocket"));
  EXPECT_TRUE(handshake.has("Connection: Upgrade"));
}

// ---- Failures of backends ----

TEST_F(HttpProxyTest, GarbageFromTheBackendIs502) {
  add_backend(after_request(
      [](const common::Fd& fd, Wire&) { (void)common::send_all(fd, "garbage\r\n\r\n"); }));
  start();
  auto c = client();
  EXPECT_EQ(c->exchange(get("/")).status, 502);
  EXPECT_TRUE(c->closed());
}

TEST_F(HttpProxyTest, SilentBackendIs504) {
  options_.server_timeout = 300ms;
  add_backend(after_request(wait_for_close));
  start();
  auto c = client();
  EXPECT_EQ(c->exchange(get("/")).status, 504);
  EXPECT_TRUE(c->closed());
}

// Two ways a backend leaves a request without a response byte: it resets the connection, or it
// sends nothing within the server timeout (a hung server, a cut link). Either way a GET is
// replayed on another backend and counted against the first; a POST is not replayed.
struct UnansweredCase {
  const char* name;
  void (*act)(const common::Fd&, Wire&);
  int status;  // what the client gets when the request is not replayed
};

class UnansweredTest : public HttpProxyTest, public testing::WithParamInterface<UnansweredCase> {
 protected:
  void SetUp() override { options_.server_timeout = 300ms; }
};

TEST_P(UnansweredTest, GetIsReplayedOnAnotherBackend) {
  FakeBackend& first = add_backend(after_request(GetParam().act));
  add_backend(answering([](const Message&) { return ok_response("second"); }));
  start();
  auto c = client();
  const Message response = c->exchange(get("/"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "second");
  EXPECT_EQ(first.seen().size(), 1u);
  EXPECT_FALSE(pool_->at(0)->is_up());  // passive health: the failure counted
}

TEST_P(UnansweredTest, PostIsNeverReplayed) {
  add_backend(after_request(GetParam().act));
  FakeBackend& second = add_backend(answering([](const Message&) { return ok_response("x"); }));
  start();
  auto c = client();
  EXPECT_EQ(c->exchange("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi").status,
            GetParam().status);
  EXPECT_TRUE(c->closed());
  EXPECT_TRUE(second.seen().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Table, UnansweredTest,
    testing::Values(UnansweredCase{"Reset", [](const common::Fd& fd, Wire&) { reset_on_close(fd); },
                                   502},
                    UnansweredCase{"Silent", wait_for_close, 504}),
    [](const testing::TestParamInfo<UnansweredCase>& test) { return test.param.name; });

TEST_F(HttpProxyTest, PutWithKeptBodyReplayedAfterABackendClosedWithoutAnswer) {
  add_backend(after_request([](const common::Fd&, Wire&) {}));
  FakeBackend& second =
      add_backend(answering([](const Message& m) { return ok_response(m.body); }));
  start();
  auto c = client();
  const Message response = c->exchange(
      "PUT /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "body");
  EXPECT_EQ(second.seen().size(), 1u);
}

TEST_F(HttpProxyTest, ReplaysAreBoundedByRetries) {
  options_.retries = 2;
  for (int i = 0; i < 4; ++i) add_backend(after_request([](const common::Fd&, Wire&) {}));
  start();
  auto c = client();
  EXPECT_EQ(c->exchange(get("/")).status, 502);
  size_t seen = 0;
  for (const auto& backend : backends_) seen += backend->seen().size();
  EXPECT_EQ(seen, 3u);  // the request and two replays
}

TEST_F(HttpProxyTest, StaleIdleConnectionIsReplacedByANewOne) {
  // Answers the first request of each connection and closes on the second without a word, as a
  // backend does whose keep-alive timer fires just as the request arrives.
  FakeBackend& backend = add_backend([](const common::Fd& fd, FakeBackend& self) {
    Wire wire(fd);
    if (auto first = read_request(wire)) {
      self.record(*first);
      if (!common::send_all(fd, ok_response("fresh"))) return;
      (void)read_request(wire);
    }
  });
  start();
  auto c = client();
  EXPECT_EQ(c->exchange(get("/1")).body, "fresh");
  EXPECT_EQ(c->exchange(get("/2")).body, "fresh");
  EXPECT_EQ(backend.connections(), 2);
  EXPECT_TRUE(pool_->at(0)->is_up());  // staleness is not the backend's failure
}

TEST_F(HttpProxyTest, BackendDyingMidBodyClosesTheClientConnection) {
  add_backend(after_request([](const common::Fd& fd, Wire&) {
    (void)common::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
    reset_on_close(fd);
  }));
  start();
  auto c = client();
  const Message response = c->exchange(get("/"));
  EXPECT_EQ(response.status, 200);
  EXPECT_FALSE(response.complete);
  EXPECT_EQ(response.body, "");  // read_body gives up on the cut message
}

TEST_F(HttpProxyTest, NoBackendUpIs503WithRetryAfter) {
  add_backend(answering([](const Message&) { return ok_response("x"); }));
  start();
  pool_->at(0)->mark_down("test");
  auto c = client();
  const Message response = c->exchange(get("/"));
  EXPECT_EQ(response.status, 503);
  EXPECT_TRUE(response.has("Retry-After: 1"));
  EXPECT_TRUE(response.has("Connection: close"));
  EXPECT_TRUE(c->closed());
}

// ---- Hostile clients ----

TEST_F(HttpProxyTest, SlowlorisGets408WhileStillTrickling) {
  options_.client_timeout = 500ms;
  add_backend(answering([](const Message&) { return ok_response("x"); }));
  start();
  auto c = client();
  std::atomic<bool> answered{false};
  // One byte every 20 ms, never finishing the head: only a deadline from the first byte (not a
  // timeout between bytes) ends it. Bounded (20 s) in case nothing does.
  std::thread trickle([&] {
    const std::string head = "GET / HTTP/1.1\r\nHost: h\r\nX-Slow: " + std::string(1000, 'z');
    for (size_t i = 0; i < head.size() && !answered; ++i) {
      if (!c->try_send(head.substr(i, 1))) break;
      std::this_thread::sleep_for(20ms);
    }
  });
  const Message response = c->response();
  answered = true;
  trickle.join();
  EXPECT_EQ(response.status, 408);
  // The session ended: its thread is free again.
  EXPECT_TRUE(net_test::eventually([&] { return server_->open_connections() == 0; }));
}

TEST_F(HttpProxyTest, IdleKeepAliveConnectionIsClosedSilently) {
  options_.idle_timeout = 200ms;
  add_backend(answering([](const Message&) { return ok_response("x"); }));
  start();
  auto c = client();
  EXPECT_EQ(c->exchange(get("/")).status, 200);
  EXPECT_TRUE(c->closed());
}

TEST_F(HttpProxyTest, WritesOneAccessLogLinePerRequest) {
  const std::string path = testing::TempDir() + "http_proxy_test_access.log";
  std::remove(path.c_str());
  auto log = AccessLog::open(path);
  ASSERT_TRUE(log.ok()) << log.error().message;
  access_log_ = std::move(*log);
  options_.access_log = access_log_.get();
  FakeBackend& backend =
      add_backend(answering([](const Message&) { return ok_response("12345"); }));
  start();
  auto c = client();
  EXPECT_EQ(c->exchange(get("/logged")).status, 200);
  EXPECT_EQ(c->exchange(get("/second")).status, 200);
  std::string text;
  EXPECT_TRUE(net_test::eventually([&] {
    std::ifstream in(path);
    std::stringstream contents;
    contents << in.rdbuf();
    text = contents.str();
    return std::count(text.begin(), text.end(), '\n') == 2;
  }));
  EXPECT_NE(text.find(" GET /logged 200 " + backend.address() + " "), std::string::npos) << text;
  EXPECT_NE(text.find(" 127.0.0.1:"), std::string::npos) << text;
  std::remove(path.c_str());
}

struct HostileCase {
  const char* name;
  std::string request;
  int status;
};

class HostileRequestTest : public HttpProxyTest, public testing::WithParamInterface<HostileCase> {};

TEST_P(HostileRequestTest, IsRefusedAndTheConnectionClosed) {
  options_.max_body = 1000;
  add_backend(answering([](const Message&) { return ok_response("x"); }));
  start();
  auto c = client();
  const Message response = c->exchange(GetParam().request);
  EXPECT_EQ(response.status, GetParam().status) << response.head;
  EXPECT_TRUE(response.has("Connection: close"));
  EXPECT_TRUE(c->closed());
}

std::string many_fields(int n) {
  std::string out = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < n; ++i) out += "X-" + std::to_string(i) + ": v\r\n";
  return out + "\r\n";
}

INSTANTIATE_TEST_SUITE_P(
    Table, HostileRequestTest,
    testing::Values(
        HostileCase{"MissingHost", "GET / HTTP/1.1\r\n\r\n", 400},
        HostileCase{"RepeatedHost", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        HostileCase{"BareLineFeeds", "GET / HTTP/1.1\nHost: h\n\n", 400},
        HostileCase{"ObsoleteLineFolding", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n",
                    400},
        HostileCase{"SpaceBeforeColon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400},
        HostileCase{"NulInAValue",
                    std::string("GET / HTTP/1.1\r\nHost: h\r\nX-A: a") + '\0' + "b\r\n\r\n", 400},
        HostileCase{"TransferEncodingAndContentLength",
                    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                    "Content-Length: 5\r\n\r\n0\r\n\r\n",
                    400},
        HostileCase{"InvalidContentLength",
                    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n", 400},
        HostileCase{"DifferingContentLengths",
                    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                    400},
        HostileCase{"TransferEncodingNotEndingInChunked",
                    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400},
        HostileCase{"UnknownTransferCoding",
                    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: rot13, chunked\r\n\r\n", 501},
        HostileCase{"BadChunkSize",
                    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
        HostileCase{"TooManyFields", many_fields(101), 431},
        HostileCase{
            "HeadTooLarge",
            "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(17 * 1024, 'b') + "\r\n\r\n", 431},
        HostileCase{"RequestLineTooLong",
                    "GET /" + std::string(9 * 1024, 'u') + " HTTP/1.1\r\nHost: h\r\n\r\n", 414},
        HostileCase{"ContentLengthOverTheLimit",
                    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1001\r\n\r\n", 413},
        HostileCase{"ChunkedBodyOverTheLimit",
                    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n", 413},
        HostileCase{"UnsupportedVersion", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505},
        HostileCase{"ConnectTunnel",
                    "CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n", 405}),
    [](const testing::TestParamInfo<HostileCase>& param) { return std::string(param.param.name); });

}  // namespace
}  // namespace lb

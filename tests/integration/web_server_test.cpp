// web_server end to end: the real executable on an ephemeral port, spoken to in raw bytes.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/http_parser.hpp"
#include "common/socket.hpp"
#include "common/websocket.hpp"
#include "tests/integration/cluster.hpp"
#include "tests/integration/harness.hpp"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// One response as the test sees it.
struct Reply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string body;

  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [n, v] : fields) {
      if (n == name) return v;
    }
    return std::nullopt;
  }
};

// A client connection that reads responses one at a time, so keep-alive and pipelining can be
// checked. Every wait is bounded by 20 s.
class Client {
 public:
  explicit Client(const std::string& host_port) {
    auto address = common::parse_address(host_port);
    if (!address) throw std::runtime_error(address.error().message);
    auto fd = common::connect_tcp(*address, 20s);
    if (!fd) throw std::runtime_error(fd.error().message);
    fd_ = std::move(*fd);
    (void)common::set_io_timeouts(fd_, 20s, 20s);
  }

  void send(std::string_view bytes) { ASSERT_TRUE(common::send_all(fd_, bytes).ok()); }

  // Reads a response head and, unless the request was HEAD, its Content-Length body.
  Reply read_reply(bool head_only = false) {
    Reply reply;
    common::ResponseHead head;
    common::ParseResult parse;
    while ((parse = common::parse_response_head(buffered_, {}, head)).state ==
           common::ParseState::incomplete) {
      if (!fill()) return reply;
    }
    if (parse.state != common::ParseState::complete) return reply;
    reply.status = head.status;
    for (const auto& field : head.headers.fields) {
      reply.fields.emplace_back(std::string(field.name), std::string(field.value));
    }
    const size_t length = head_only ? 0 : std::stoul(reply.header("Content-Length").value_or("0"));
    buffered_.erase(0, parse.consumed);
    reply.body = take(length);
    return reply;
  }

  // Up to n bytes (fewer if the peer closes first).
  std::string take(size_t n) {
    while (buffered_.size() < n && fill()) {
    }
    std::string out = buffered_.substr(0, n);
    buffered_.erase(0, out.size());
    return out;
  }

  // True when the server closed the connection (nothing more arrives, and no timeout).
  bool closed_by_server() {
    if (!buffered_.empty()) return false;
    char byte;
    auto got = common::recv_some(fd_, &byte, 1);
    return got && *got == 0;
  }

  const common::Fd& fd() const { return fd_; }

 private:
  bool fill() {
    char chunk[65536];
    auto got = common::recv_some(fd_, chunk, sizeof chunk);
    if (!got || *got == 0) return false;
    buffered_.append(chunk, *got);
    return true;
  }

  common::Fd fd_;
  std::string buffered_;
};

std::string request(std::string_view method, std::string_view target, std::string_view extra = "") {
  return std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" +
         std::string(extra) + "\r\n";
}

// A running web_server named s1 and the folder it serves: www/ (with a secret.txt beside it).
class WebServerTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = harness::temp_dir();
    fs::create_directory(dir_ + "/www");
    write(dir_ + "/secret.txt", "top secret");
    write(dir_ + "/www/style.css", "body { color: red; }");
  }
  // Every test ends with a graceful stop, so each one also checks that SIGTERM leads to exit 0
  // (and, in sanitizer builds, that no leak or error was reported on the way).
  void TearDown() override {
    if (server_ && server_->running()) {
      server_->signal(SIGTERM);
      EXPECT_EQ(server_->wait_exit(60s), 0) << server_->err();
    }
    fs::remove_all(dir_);
  }

  static void write(const std::string& path, std::string_view content) {
    std::ofstream(path, std::ios::binary) << content;
  }

  // Starts web_server with these flags after the standard ones; returns its HOST:PORT.
  std::string start(std::vector<std::string> flags = {}) {
    std::vector<std::string> argv = {
        harness::exe("web_server"), "--listen", "127.0.0.1:0", "--name", "s1", "--data-dir",
        harness::temp_dir()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    server_.emplace(argv);
    const std::string host_port = server_->wait_listening();
    EXPECT_FALSE(host_port.empty()) << server_->err();
    return host_port;
  }
  std::string start_with_files(std::vector<std::string> flags = {}) {
    flags.insert(flags.begin(), {"--static-dir", dir_ + "/www"});
    return start(flags);
  }

  std::string dir_;
  std::optional<harness::Process> server_;
};

TEST_F(WebServerTest, RootIsALandingPageNamingTheServer) {
  const std::string response = harness::exchange(start(), harness::get_request("/"));
  EXPECT_EQ(harness::status_of(response), 200);
  EXPECT_NE(response.find("X-Backend: s1\r\n"), std::string::npos);
  EXPECT_NE(response.find("Content-Type: text/html"), std::string::npos);
  EXPECT_NE(response.find("<h1>s1</h1>"), std::string::npos);
}

TEST_F(WebServerTest, HealthAndWhoami) {
  Client client(start());
  client.send(request("GET", "/health"));
  Reply reply = client.read_reply();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "ok\n");
  EXPECT_EQ(reply.header("X-Backend"), "s1");
  client.send(request("GET", "/whoami"));
  reply = client.read_reply();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.header("Content-Type"), "application/json");
  EXPECT_EQ(reply.body, "{\"name\":\"s1\"}\n");
}

TEST_F(WebServerTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  Client client(start());
  client.send(request("GET", "/nope"));
  Reply reply = client.read_reply();
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(reply.header("X-Backend"), "s1");
  client.send(request("DELETE", "/health"));
  reply = client.read_reply();
  EXPECT_EQ(reply.status, 405);
  EXPECT_EQ(reply.header("Allow"), "GET, HEAD");
}

TEST_F(WebServerTest, MalformedRequestGets400AndCloseThenOthersAreServed) {
  const std::string host_port = start();
  Client bad(host_port);
  bad.send("GET / HTTP/1.1\r\nHost: test\r\nBad Header\r\n\r\n");
  const Reply reply = bad.read_reply();
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.header("Connection"), "close");
  EXPECT_TRUE(bad.closed_by_server());
  EXPECT_EQ(harness::status_of(harness::exchange(host_port, harness::get_request("/health"))), 200);
}

// Requests a strict server refuses, each on its own connection, which closes after the answer.
TEST_F(WebServerTest, HostileRequestsGetTheirStatusAndClose) {
  const std::string host_port = start({"--request-timeout", "30s"});
  const std::string chunked = "Transfer-Encoding: chunked\r\n";
  const struct {
    const char* name;
    std::string bytes;
    int status;
  } table[] = {
      {"CodingNotApplied",
       request("POST", "/health", "Transfer-Encoding: gzip, chunked\r\n") + "0\r\n\r\n", 501},
      {"ChunkExtensionWithoutName", request("POST", "/health", chunked) + "2;\r\nab\r\n0\r\n\r\n",
       400},
      {"ChunkExtensionWithoutNameBeforeValue",
       request("POST", "/health", chunked) + "5;=x\r\nhello\r\n0\r\n\r\n", 400},
      {"ChunkExtensionUnclosedQuote",
       request("POST", "/health", chunked) + "5;a=\"x\r\nhello\r\n0\r\n\r\n", 400},
      {"AuthorityFormOutsideConnect", request("PUT", "test:80", "Content-Length: 0\r\n"), 400},
      {"TlsClientHello", std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11), 400},
  };
  for (const auto& row : table) {
    SCOPED_TRACE(row.name);
    const auto start_time = std::chrono::steady_clock::now();
    const std::string response = harness::exchange(host_port, row.bytes, 60s);
    EXPECT_EQ(harness::status_of(response), row.status) << response;
    EXPECT_LT(std::chrono::steady_clock::now() - start_time, 20s) << "answered only at a timeout";
  }
}

TEST_F(WebServerTest, OversizedHeadGets431AndLongUriGets414) {
  const std::string host_port = start();
  const std::string big_field = "X-Filler: " + std::string(20000, 'a') + "\r\n";
  EXPECT_EQ(harness::status_of(harness::exchange(host_port, request("GET", "/", big_field))), 431);
  const std::string long_uri = "/" + std::string(9000, 'u');
  EXPECT_EQ(harness::status_of(harness::exchange(host_port, request("GET", long_uri))), 414);
}

TEST_F(WebServerTest, PipelinedRequestsAreAnsweredInOrder) {
  Client client(start());
  client.send(request("GET", "/whoami") + request("GET", "/nope") + request("HEAD", "/health") +
              request("GET", "/health", "Connection: close\r\n"));
  EXPECT_EQ(client.read_reply().body, "{\"name\":\"s1\"}\n");
  EXPECT_EQ(client.read_reply().status, 404);
  const Reply head = client.read_reply(true);
  EXPECT_EQ(head.status, 200);
  const Reply last = client.read_reply();
  EXPECT_EQ(last.status, 200);
  EXPECT_EQ(last.body, "ok\n");
  EXPECT_TRUE(client.closed_by_server());
}

// More requests than the server's input buffer holds at once, so leftover bytes must be kept
// and moved as the buffer is reused.
TEST_F(WebServerTest, ManyPipelinedRequestsAreAllAnsweredInOrder) {
  constexpr int kRequests = 1000;
  std::string batch;
  for (int i = 0; i < kRequests; ++i) {
    batch += request("GET", i % 2 == 0 ? "/health?n=" + std::to_string(i) : "/whoami");
  }
  Client client(start());
  client.send(batch + request("GET", "/nope", "Connection: close\r\n"));
  for (int i = 0; i < kRequests; ++i) {
    const Reply reply = client.read_reply();
    ASSERT_EQ(reply.body, i % 2 == 0 ? "ok\n" : "{\"name\":\"s1\"}\n") << "response " << i;
  }
  EXPECT_EQ(client.read_reply().status, 404);
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(WebServerTest, RequestSplitAcrossWritesIsServed) {
  Client client(start());
  const std::string whole = request("GET", "/health");
  for (char c : whole) client.send(std::string_view(&c, 1));
  EXPECT_EQ(client.read_reply().body, "ok\n");
}

TEST_F(WebServerTest, HeadHasTheHeadersButNoBody) {
  const std::string response =
      harness::exchange(start(), request("HEAD", "/health", "Connection: close\r\n"));
  EXPECT_EQ(harness::status_of(response), 200);
  EXPECT_NE(response.find("Content-Length: 3\r\n"), std::string::npos);
  EXPECT_EQ(response.substr(response.size() - 4), "\r\n\r\n");  // nothing after the head
}

TEST_F(WebServerTest, ConnectionCloseClosesAndKeepAliveStaysOpen) {
  const std::string host_port = start();
  Client client(host_port);
  client.send(request("GET", "/health"));
  EXPECT_EQ(client.read_reply().header("Connection"), std::nullopt);
  client.send(request("GET", "/health", "Connection: close\r\n"));
  EXPECT_EQ(client.read_reply().header("Connection"), "close");
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(WebServerTest, Http10ClosesUnlessAskedToKeepAlive) {
  const std::string host_port = start();
  Client once(host_port);
  once.send("GET /health HTTP/1.0\r\n\r\n");
  EXPECT_EQ(once.read_reply().status, 200);
  EXPECT_TRUE(once.closed_by_server());
  Client kept(host_port);
  kept.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(kept.read_reply().header("Connection"), "keep-alive");
  kept.send("GET /whoami HTTP/1.0\r\n\r\n");
  EXPECT_EQ(kept.read_reply().status, 200);
}

TEST_F(WebServerTest, RequestBodiesAreReadSoTheNextRequestIsFound) {
  Client client(start());
  client.send(request("POST", "/health", "Content-Length: 11\r\n") + "hello world" +
              request("POST", "/health", "Transfer-Encoding: chunked\r\n") +
              "5\r\nhello\r\n0\r\n\r\n" + request("GET", "/health"));
  EXPECT_EQ(client.read_reply().status, 405);
  EXPECT_EQ(client.read_reply().status, 405);
  EXPECT_EQ(client.read_reply().body, "ok\n");
}

TEST_F(WebServerTest, BodyOverMaxBodyGets413) {
  const std::string host_port = start({"--max-body", "1k"});
  EXPECT_EQ(harness::status_of(harness::exchange(
                host_port, request("POST", "/health", "Content-Length: 5000\r\n"))),
            413);
  const std::string chunk = "800\r\n" + std::string(0x800, 'x') + "\r\n";
  EXPECT_EQ(harness::status_of(harness::exchange(
                host_port, request("POST", "/health", "Transfer-Encoding: chunked\r\n") + chunk)),
            413);
}

// Each byte comes well within --idle-timeout, so only a bound on the whole body ends it: 408
// after --request-timeout, while other clients are served meanwhile.
TEST_F(WebServerTest, BodyTricklingBelowTheMinimumRateGets408) {
  const std::string host_port = start({"--request-timeout", "1s", "--idle-timeout", "5s"});
  std::string response;
  std::thread slow([&] {
    response = harness::trickle_body(
        host_port, request("PUT", "/kv/slow", "Content-Length: 100000\r\n"), 200ms, 20s);
  });
  EXPECT_EQ(harness::status_of(harness::exchange(host_port, harness::get_request("/health"))), 200);
  const auto start_time = std::chrono::steady_clock::now();
  slow.join();
  EXPECT_EQ(harness::status_of(response), 408) << response;
  EXPECT_LT(std::chrono::steady_clock::now() - start_time, 15s);
}

TEST_F(WebServerTest, SlowRequestHeadGets408) {
  const std::string host_port = start({"--request-timeout", "300ms"});
  const std::string response = harness::exchange(host_port, "GET /health HTTP/1.1\r\nHos", 20s);
  EXPECT_EQ(harness::status_of(response), 408);
}

TEST_F(WebServerTest, IdleConnectionIsClosedAfterTheIdleTimeout) {
  Client client(start({"--idle-timeout", "300ms"}));
  client.send(request("GET", "/health"));
  EXPECT_EQ(client.read_reply().status, 200);
  EXPECT_TRUE(client.closed_by_server());  // well before the client's own 20 s bound
}

TEST_F(WebServerTest, ExpectContinueGetsAnInterimResponseBeforeTheBody) {
  Client client(start());
  client.send(request("POST", "/health", "Content-Length: 5\r\nExpect: 100-continue\r\n"));
  EXPECT_EQ(client.read_reply().status, 100);
  client.send("hello");
  EXPECT_EQ(client.read_reply().status, 405);
  client.send(request("GET", "/health"));
  EXPECT_EQ(client.read_reply().body, "ok\n");
}

TEST_F(WebServerTest, IdleConnectionDoesNotHoldUpOthers) {
  const std::string host_port = start();
  Client idle(host_port);
  idle.send("GET /hea");  // and nothing more for now
  EXPECT_EQ(harness::status_of(harness::exchange(host_port, harness::get_request("/health"))), 200);
  idle.send("lth HTTP/1.1\r\nHost: test\r\n\r\n");
  EXPECT_EQ(idle.read_reply().body, "ok\n");
}

TEST_F(WebServerTest, ServesStaticFilesWithContentType) {
  Client client(start_with_files());
  client.send(request("GET", "/style.css"));
  const Reply reply = client.read_reply();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.header("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(reply.body, "body { color: red; }");
  EXPECT_EQ(reply.header("X-Backend"), "s1");
}

TEST_F(WebServerTest, PathTraversalIsRefused) {
  const std::string host_port = start_with_files();
  fs::create_symlink("../secret.txt", dir_ + "/www/link.txt");
  for (const char* path : {"/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt",
                           "/x/../../secret.txt", "/link.txt", "/style.css%00"}) {
    const std::string response = harness::exchange(host_port, harness::get_request(path));
    EXPECT_EQ(harness::status_of(response), 403) << path;
    EXPECT_EQ(response.find("top secret"), std::string::npos) << path;
  }
}

TEST_F(WebServerTest, ServesTheBundledWebApp) {
  Client client(start({"--static-dir", std::string(SUITE_SOURCE_DIR) + "/web_server/www"}));
  client.send(request("GET", "/"));
  const Reply page = client.read_reply();
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("app.js"), std::string::npos);
  client.send(request("GET", "/app.js"));
  const Reply script = client.read_reply();
  EXPECT_EQ(script.header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_NE(script.body.find("/whoami"), std::string::npos);
}

TEST_F(WebServerTest, SigtermFinishesTheResponseInFlightAndExitsZero) {
  constexpr size_t kBig = 32 * 1024 * 1024;  // more than the socket buffers hold
  write(dir_ + "/www/big.bin", std::string(kBig, 'b'));
  const std::string host_port = start_with_files({"--drain-timeout", "60s"});
  Client idle(host_port);
  idle.send(request("GET", "/health"));
  ASSERT_EQ(idle.read_reply().status, 200);
  Client busy(host_port);
  busy.send(request("GET", "/big.bin"));
  const std::string start_of_response = busy.take(1000);
  ASSERT_EQ(harness::status_of(start_of_response), 200);

  server_->signal(SIGTERM);
  EXPECT_TRUE(idle.closed_by_server());
  const std::string response = start_of_response + busy.take(2 * kBig);  // until it closes
  const size_t body = response.find("\r\n\r\n") + 4;
  EXPECT_EQ(response.size() - body, kBig);
  EXPECT_EQ(server_->wait_exit(60s), 0) << server_->err();
  const std::string out = server_->out();
  EXPECT_EQ(out.find("listening on "), out.rfind("listening on "));  // printed once
}

// The drain ends idle connections at once but serves a request whose body is still arriving.
TEST_F(WebServerTest, SigtermServesARequestWhoseBodyIsStillArriving) {
  const std::string host_port = start({"--drain-timeout", "60s"});
  Client idle(host_port);
  idle.send(request("GET", "/health"));
  ASSERT_EQ(idle.read_reply().status, 200);
  Client uploading(host_port);
  // The 100 Continue says the server has the head and waits for the body.
  uploading.send(request("PUT", "/kv/drained", "Content-Length: 10\r\nExpect: 100-continue\r\n"));
  const std::string go_on = "HTTP/1.1 100 Continue\r\n\r\n";
  ASSERT_EQ(uploading.take(go_on.size()), go_on);
  uploading.send("first");
  server_->signal(SIGTERM);
  EXPECT_TRUE(idle.closed_by_server());
  uploading.send("-half");
  const Reply reply = uploading.read_reply();
  EXPECT_EQ(reply.status, 201) << server_->err();
  EXPECT_TRUE(uploading.closed_by_server()) << "Connection: close after it";
  EXPECT_EQ(server_->wait_exit(60s), 0) << server_->err();
}

// A client that stops reading a large response holds the drain; a second SIGTERM ends it.
TEST_F(WebServerTest, ASecondSigtermEndsTheDrainAtOnce) {
  write(dir_ + "/www/big.bin", std::string(size_t{32} * 1024 * 1024, 'b'));
  const std::string host_port = start_with_files({"--drain-timeout", "10m"});
  Client stalled(host_port);
  stalled.send(request("GET", "/big.bin"));
  ASSERT_EQ(harness::status_of(stalled.take(1000)), 200);  // and reads no more

  server_->signal(SIGTERM);
  ASSERT_TRUE(harness::eventually([&] {
    return server_->err().find("waiting up to 600000ms for 1 open connections") !=
           std::string::npos;
  })) << server_->err();
  EXPECT_TRUE(server_->running());
  server_->signal(SIGTERM);
  EXPECT_EQ(server_->wait_exit(30s), 0) << server_->err();
  EXPECT_NE(server_->err().find("received Terminated again: closing 1 connections"),
            std::string::npos)
      << server_->err();
}

TEST_F(WebServerTest, SigintExitsZero) {
  start();
  server_->signal(SIGINT);
  EXPECT_EQ(server_->wait_exit(60s), 0) << server_->err();
}

// ---- WebSocket echo on /ws ----

std::string ws_handshake(std::string_view version = "13") {
  return "GET /ws HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: " +
         std::string(version) + "\r\n\r\n";
}

// A frame as a browser sends it: masked.
std::string client_frame(common::ws::Opcode opcode, std::string_view payload) {
  const std::array<uint8_t, 4> mask{0xde, 0xad, 0xbe, 0xef};
  std::string frame;
  common::ws::append_frame_header(frame, opcode, true, payload.size(), &mask);
  std::string masked(payload);
  common::ws::apply_mask(masked.data(), masked.size(), mask, 0);
  return frame + masked;
}

TEST_F(WebServerTest, WebSocketEchoesOverRawBytes) {
  Client client(start());
  // The first frame travels with the handshake: the server must keep those bytes.
  client.send(ws_handshake() + client_frame(common::ws::Opcode::text, "hello"));
  const Reply upgrade = client.read_reply(true);
  EXPECT_EQ(upgrade.status, 101);
  EXPECT_EQ(upgrade.header("Sec-WebSocket-Accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(upgrade.header("X-Backend"), "s1");
  EXPECT_EQ(client.take(7), "\x81\x05hello");
  client.send(client_frame(common::ws::Opcode::ping, "p"));
  EXPECT_EQ(client.take(3), "\x8A\x01p");
  client.send(client_frame(common::ws::Opcode::binary, std::string(300, 'z')));
  EXPECT_EQ(client.take(4 + 300), "\x82\x7E\x01\x2C" + std::string(300, 'z'));
  client.send(client_frame(common::ws::Opcode::close, "\x03\xE8"));
  EXPECT_EQ(client.take(4), "\x88\x02\x03\xE8");
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(WebServerTest, WebSocketClosesWith1002OnAnUnmaskedFrame) {
  Client client(start());
  client.send(ws_handshake());
  ASSERT_EQ(client.read_reply(true).status, 101);
  client.send(std::string("\x81\x02hi", 4));
  EXPECT_EQ(client.take(4), "\x88\x02\x03\xEA");
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(WebServerTest, WebSocketRefusesOtherVersionsAndBadHandshakes) {
  const std::string host_port = start();
  Client old_version(host_port);
  old_version.send(ws_handshake("8"));
  const Reply refused = old_version.read_reply();
  EXPECT_EQ(refused.status, 426);
  EXPECT_EQ(refused.header("Sec-WebSocket-Version"), "13");
  EXPECT_EQ(harness::status_of(harness::exchange(host_port, harness::get_request("/ws"))), 400);
}

std::optional<std::string> python_with_websockets() {
  for (const char* candidate : {"/usr/bin/python3", "/usr/local/bin/python3"}) {
    if (::access(candidate, X_OK) != 0) continue;
    harness::Process probe({candidate, "-c", "import websockets"});
    if (probe.wait_exit(30s) == 0) return candidate;
  }
  return std::nullopt;
}

constexpr const char* kPythonEcho = R"(
import asyncio, sys, websockets

async def main():
    async with websockets.connect(sys.argv[1]) as ws:
        await ws.send("h\u00e9llo w\u00f6rld")
        assert await ws.recv() == "h\u00e9llo w\u00f6rld"
        data = bytes(range(256)) * 1000
        await ws.send(data)
        assert await ws.recv() == data
        await ws.send(["frag", "mented"])
        assert await ws.recv() == "fragmented"
        await asyncio.wait_for(await ws.ping(b"hi"), 20)
        await ws.close(code=4000)
        assert ws.close_code == 4000, ws.close_code
    print("echo ok", flush=True)

asyncio.run(main())
)";

TEST_F(WebServerTest, WebSocketEchoesForAThirdPartyClient) {
  const auto python = python_with_websockets();
  if (!python) GTEST_SKIP() << "no python3 with the websockets module";
  const std::string host_port = start();
  harness::Process client({*python, "-c", kPythonEcho, "ws://" + host_port + "/ws"});
  EXPECT_EQ(client.wait_exit(60s), 0) << client.err();
  EXPECT_NE(client.out().find("echo ok"), std::string::npos) << client.err();
}

// ---- Flags ----

struct BadFlagCase {
  std::vector<std::string> flags;
  std::string named;
};

TEST(WebServerFlagsTest, BadFlagsExit2WithOneLineNamingTheFlag) {
  const BadFlagCase cases[] = {
      {{"--listen", "nowhere"}, "--listen"},
      {{"--listen", "127.0.0.1:99999"}, "--listen"},
      {{"--idle-timeout", "2x"}, "--idle-timeout"},
      {{"--request-timeout", "soon"}, "--request-timeout"},
      {{"--max-body", "lots"}, "--max-body"},
      {{"--static-dir", "/nonexistent/www"}, "--static-dir"},
      {{"--listen", "127.0.0.1:0", "--data-dir", "/proc/nonexistent/store"}, "--data-dir"},
      {{"--bogus"}, "--bogus"},
  };
  for (const BadFlagCase& c : cases) {
    std::vector<std::string> argv = {harness::exe("web_server")};
    argv.insert(argv.end(), c.flags.begin(), c.flags.end());
    harness::Process process(argv);
    EXPECT_EQ(process.wait_exit(30s), 2) << c.named;
    const std::string err = process.err();
    EXPECT_NE(err.find(c.named), std::string::npos) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  }
}

}  // namespace

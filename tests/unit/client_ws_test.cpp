// The client's WebSocket mode: its frames and handshake as pure functions, then whole runs
// (client::run with --ws options) against an in-process server whose behaviour each test chooses.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>

#include "client/report.hpp"
#include "client/run.hpp"
#include "client/ws_frames.hpp"
#include "client/ws_handshake.hpp"
#include "common/http_parser.hpp"
#include "common/tcp_server.hpp"
#include "common/websocket.hpp"
#include "tests/unit/client_test_support.hpp"
#include "tests/unit/net_test_support.hpp"

namespace {

using namespace std::chrono_literals;
namespace ws = common::ws;

// ---- Frames ----

TEST(ClientWsFrameTest, EveryFrameGetsAFreshMask) {
  std::mt19937_64 random(7);
  std::set<std::array<uint8_t, 4>> masks;
  for (int i = 0; i < 16; ++i) masks.insert(client::new_mask(random));
  EXPECT_EQ(masks.size(), 16u);
}

TEST(ClientWsFrameTest, MessagesOfDifferentSequenceDiffer) {
  for (size_t size : {1u, 8u, 64u}) {
    std::string a(size, '\0'), b(size, '\0');
    client::fill_message(a, 1);
    client::fill_message(b, 2);
    EXPECT_NE(a, b) << size;
    EXPECT_EQ(a.size(), size);
  }
}

// A frame as a server sends it: unmasked, and final unless said.
std::string server_frame(ws::Opcode opcode, std::string_view payload, bool fin = true) {
  std::string out;
  ws::append_frame_header(out, opcode, fin, payload.size());
  out.append(payload);
  return out;
}

// ---- Opening handshake ----

client::RequestSpec spec_for(std::string_view url) {
  client::RequestSpec spec;
  spec.url = *client::parse_url(url);
  return spec;
}

TEST(ClientWsHandshakeTest, RequestPassesTheServersChecks) {
  std::mt19937_64 random(1);
  const std::string key = client::new_websocket_key(random);
  EXPECT_NE(key, client::new_websocket_key(random));
  client::RequestSpec spec = spec_for("http://127.0.0.1:9000/ws?x=1");
  spec.headers.push_back({"X-Test", "yes"});
  const std::string request = client::build_handshake(spec, key);

  common::RequestHead head;
  ASSERT_EQ(common::parse_request_head(request, {}, head).state, common::ParseState::complete);
  EXPECT_EQ(head.target, "/ws?x=1");
  EXPECT_EQ(head.headers.get("Host"), "127.0.0.1:9000");
  EXPECT_EQ(head.headers.get("X-Test"), "yes");
  const ws::HandshakeCheck check = ws::check_handshake(head);
  EXPECT_EQ(check.status, 101) << check.reason;
  EXPECT_EQ(check.key, key);
}

TEST(ClientWsHandshakeTest, AGivenHostReplacesTheUrlOne) {
  client::RequestSpec spec = spec_for("http://127.0.0.1:9000/ws");
  spec.headers.push_back({"host", "example.test"});
  const std::string request = client::build_handshake(spec, "dGhlIHNhbXBsZSBub25jZQ==");
  common::RequestHead head;
  ASSERT_EQ(common::parse_request_head(request, {}, head).state, common::ParseState::complete);
  EXPECT_EQ(head.headers.count("Host"), 1u);
  EXPECT_EQ(head.headers.get("Host"), "example.test");
}

constexpr const char* kKey = "dGhlIHNhbXBsZSBub25jZQ==";  // RFC 6455's sample
constexpr const char* kAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

struct ResponseCase {
  const char* name;
  std::string response;
  const char* error;  // a part of the error message; nullptr when accepted
};
void PrintTo(const ResponseCase& c, std::ostream* os) { *os << c.name; }

std::string response(std::string_view status_line, std::string_view fields) {
  return std::string(status_line) + "\r\n" + std::string(fields) + "\r\n";
}

const std::string kGoodFields = std::string("Upgrade: websocket\r\nConnection: Upgrade\r\n") +
                                "Sec-WebSocket-Accept: " + kAccept + "\r\n";

class HandshakeResponseTest : public testing::TestWithParam<ResponseCase> {};

TEST_P(HandshakeResponseTest, ChecksStatusUpgradeConnectionAndAcceptKey) {
  common::ResponseHead head;
  const std::string& text = GetParam().response;
  ASSERT_EQ(common::parse_response_head(text, {}, head).state, common::ParseState::complete);
  const common::Status s = client::check_handshake_response(head, kKey);
  if (GetParam().error == nullptr) {
    EXPECT_TRUE(s.ok()) << s.error().message;
    return;
  }
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, common::Errc::protocol);
  EXPECT_NE(s.error().message.find(GetParam().error), std::string::npos) << s.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, HandshakeResponseTest,
    testing::Values(
        ResponseCase{"accepted", response("HTTP/1.1 101 Switching Protocols", kGoodFields),
                     nullptr},
        ResponseCase{
            "tokens_in_any_case",
            response("HTTP/1.1 101 Switching Protocols",
                     std::string("upgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\n"
                                 "sec-websocket-accept: ") +
                         kAccept + "\r\n"),
            nullptr},
        ResponseCase{"not_found", response("HTTP/1.1 404 Not Found", "Content-Length: 0\r\n"),
                     "status 404 Not Found"},
        ResponseCase{"ok_instead_of_upgrade", response("HTTP/1.1 200 OK", kGoodFields),
                     "status 200"},
        ResponseCase{"bad_accept_key",
                     response("HTTP/1.1 101 Switching Protocols",
                              "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n"),
                     "does not match"},
        ResponseCase{"missing_accept_key",
                     response("HTTP/1.1 101 Switching Protocols",
                              "Upgrade: websocket\r\nConnection: Upgrade\r\n"),
                     "without Sec-WebSocket-Accept"},
        ResponseCase{"missing_upgrade",
                     response("HTTP/1.1 101 Switching Protocols",
                              std::string("Connection: Upgrade\r\nSec-WebSocket-Accept: ") +
                                  kAccept + "\r\n"),
                     "without Upgrade"},
        ResponseCase{"upgrade_to_another_protocol",
                     response("HTTP/1.1 101 Switching Protocols",
                              std::string("Upgrade: h2c\r\nConnection: Upgrade\r\n"
                                          "Sec-WebSocket-Accept: ") +
                                  kAccept + "\r\n"),
                     "without Upgrade"},
        ResponseCase{"missing_connection_upgrade",
                     response("HTTP/1.1 101 Switching Protocols",
                              std::string("Upgrade: websocket\r\nSec-WebSocket-Accept: ") +
                                  kAccept + "\r\n"),
                     "without Connection: Upgrade"}),
    [](const testing::TestParamInfo<ResponseCase>& param) { return param.param.name; });

// ---- Whole runs against a scripted WebSocket server ----

enum class Behaviour {
  echo,
  ping_then_echo,   // a ping before each echo: the client must answer it
  fragmented_echo,  // each echo in two frames
  corrupt_echo,     // the last byte of each echo flipped
  close_on_fourth,  // three echoes per connection, then the fourth message ends it (no close frame)
  silent,           // reads messages, never answers
  refuse_404,       // answers the upgrade with 404
  bad_accept,       // 101 with a Sec-WebSocket-Accept for another key
};

class ScriptedWsServer {
 public:
  explicit ScriptedWsServer(Behaviour behaviour) : behaviour_(behaviour) {
    server_.emplace([this](const common::Fd& fd, const common::Address&) { serve(fd); });
  }
  common::Address address() const { return server_->address(); }
  uint64_t messages() const { return messages_.load(); }
  uint64_t pongs() const { return pongs_.load(); }
  uint64_t closes() const { return closes_.load(); }
  size_t distinct_masks() {
    std::lock_guard lock(mutex_);
    return masks_.size();
  }

 private:
  struct Frame {
    ws::FrameHeader header;
    std::string payload;
  };

  void serve(const common::Fd& fd) {
    std::string in;
    if (!upgrade(fd, in)) return;
    for (uint64_t echoed = 0;;) {
      Frame frame;
      if (!read_frame(fd, in, frame)) return;
      if (frame.header.opcode == ws::Opcode::pong) {
        ++pongs_;
        continue;
      }
      if (frame.header.opcode == ws::Opcode::close) {
        ++closes_;
        (void)common::send_all(fd, server_frame(ws::Opcode::close, frame.payload));
        return;
      }
      ++messages_;
      if (behaviour_ == Behaviour::close_on_fourth && ++echoed == 4) return;
      if (!answer(fd, std::move(frame.payload))) return;
    }
  }

  // Reads the request head and answers it as the behaviour says; false when that ends it.
  bool upgrade(const common::Fd& fd, std::string& in) {
    common::RequestHead head;
    common::ParseResult parsed;
    while ((parsed = common::parse_request_head(in, {}, head)).state !=
           common::ParseState::complete) {
      if (parsed.state == common::ParseState::error || !receive(fd, in)) return false;
    }
    const ws::HandshakeCheck check = ws::check_handshake(head);
    if (check.status != 101 || behaviour_ == Behaviour::refuse_404) {
      (void)common::send_all(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
      return false;
    }
    const std::string accept = ws::accept_key(
        behaviour_ == Behaviour::bad_accept ? "AAAAAAAAAAAAAAAAAAAAAA==" : check.key);
    in.erase(0, parsed.consumed);
    return common::send_all(fd,
                            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\nX-Backend: w1\r\nSec-WebSocket-Accept: " +
                                accept + "\r\n\r\n")
        .ok();
  }

  bool answer(const common::Fd& fd, std::string payload) {
    switch (behaviour_) {
      case Behaviour::silent:
        return true;
      case Behaviour::ping_then_echo:
        if (!common::send_all(fd, server_frame(ws::Opcode::ping, "are you there"))) return false;
        break;
      case Behaviour::corrupt_echo:
        payload.back() = static_cast<char>(payload.back() ^ 1);
        break;
      case Behaviour::fragmented_echo: {
        const std::string_view p = payload;
        return common::send_all(fd, {server_frame(ws::Opcode::binary, p.substr(0, 1), false),
                                     server_frame(ws::Opcode::continuation, p.substr(1))})
            .ok();
      }
      default:
        break;
    }
    return common::send_all(fd, server_frame(ws::Opcode::binary, payload)).ok();
  }

  // One masked client frame, unmasked; false when the connection ended or the frame is bad.
  bool read_frame(const common::Fd& fd, std::string& in, Frame& frame) {
    for (;;) {
      const ws::HeaderParse parse = ws::parse_frame_header(in, ws::FrameRules{});
      if (parse.state == common::ParseState::error) return false;
      if (parse.state == common::ParseState::complete &&
          in.size() >= parse.header.size + parse.header.payload_length) {
        frame.header = parse.header;
        frame.payload = in.substr(parse.header.size, parse.header.payload_length);
        ws::apply_mask(frame.payload.data(), frame.payload.size(), parse.header.mask, 0);
        in.erase(0, parse.header.size + parse.header.payload_length);
        std::lock_guard lock(mutex_);
        masks_.insert(parse.header.mask);
        return true;
      }
      if (!receive(fd, in)) return false;
    }
  }

  static bool receive(const common::Fd& fd, std::string& in) {
    char chunk[4096];
    auto n = common::recv_some(fd, chunk, sizeof chunk);
    if (!n || *n == 0) return false;
    in.append(chunk, *n);
    return true;
  }

  const Behaviour behaviour_;
  std::atomic<uint64_t> messages_{0}, pongs_{0}, closes_{0};
  std::mutex mutex_;
  std::set<std::array<uint8_t, 4>> masks_;
  std::optional<net_test::LoopbackServer> server_;  // last: stops first
};

client::Options ws_options(uint64_t messages, size_t concurrency) {
  client::Options options = client_test::options_for(messages, concurrency, "http://127.0.0.1/ws");
  options.websocket = true;
  return options;
}

using client_test::run_ok;

std::string first_error(const client::Stats& s, client::Failure kind) {
  return s.first_error[static_cast<size_t>(kind)];
}

TEST(ClientWsRunTest, EchoesEveryMessageAndClosesEachConnectionCleanly) {
  ScriptedWsServer server(Behaviour::echo);
  const client::RunResult r = run_ok(ws_options(200, 4), server.address());
  EXPECT_EQ(r.stats.requests, 200u);
  EXPECT_EQ(r.stats.succeeded, 200u);
  EXPECT_EQ(r.stats.failed(), 0u);
  EXPECT_EQ(r.stats.latency.count(), 200u);
  EXPECT_EQ(server.messages(), 200u);
  // Connections open lazily: a worker that started after the others took every ticket opens none.
  EXPECT_GE(r.stats.connections, 1u);
  EXPECT_LE(r.stats.connections, 4u);
  EXPECT_EQ(r.stats.status[101], r.stats.connections);
  EXPECT_EQ(r.stats.backends.at("w1"), r.stats.connections);
  EXPECT_EQ(r.stats.clean_closes, r.stats.connections);
  EXPECT_TRUE(net_test::eventually([&] { return server.closes() == r.stats.connections; }));
  EXPECT_GT(server.distinct_masks(), 100u);  // a new mask per frame, not one per connection
}

TEST(ClientWsRunTest, AnswersPingsWhileWaitingForTheEcho) {
  ScriptedWsServer server(Behaviour::ping_then_echo);
  const client::RunResult r = run_ok(ws_options(20, 1), server.address());
  EXPECT_EQ(r.stats.succeeded, 20u);
  EXPECT_EQ(r.stats.clean_closes, 1u);
  EXPECT_TRUE(net_test::eventually([&] { return server.pongs() == 20; }));
}

TEST(ClientWsRunTest, PutsAFragmentedEchoTogether) {
  ScriptedWsServer server(Behaviour::fragmented_echo);
  const client::RunResult r = run_ok(ws_options(20, 2), server.address());
  EXPECT_EQ(r.stats.succeeded, 20u);
  EXPECT_EQ(r.stats.failed(), 0u);
}

TEST(ClientWsRunTest, CountsAnEchoThatDiffersAsAMismatch) {
  ScriptedWsServer server(Behaviour::corrupt_echo);
  const client::RunResult r = run_ok(ws_options(6, 2), server.address());
  EXPECT_EQ(r.stats.requests, 6u);
  EXPECT_EQ(r.stats.failures_of(client::Failure::mismatch), 6u);
  EXPECT_NE(first_error(r.stats, client::Failure::mismatch).find("differs"), std::string::npos);
}

TEST(ClientWsRunTest, CountsAServerThatClosesMidRunAndReconnects) {
  ScriptedWsServer server(Behaviour::close_on_fourth);
  const client::RunResult r = run_ok(ws_options(20, 1), server.address());
  // Each connection: three echoes, then the fourth message finds it closed.
  EXPECT_EQ(r.stats.succeeded, 15u);
  EXPECT_EQ(r.stats.failures_of(client::Failure::closed), 5u);
  EXPECT_EQ(r.stats.connections, 5u);
  EXPECT_EQ(r.stats.clean_closes, 0u);  // the last message failed: no connection was left
}

TEST(ClientWsRunTest, ASilentServerTimesOutEachMessage) {
  ScriptedWsServer server(Behaviour::silent);
  client::Options options = ws_options(3, 1);
  options.timeout = 1s;
  const client::RunResult r = run_ok(options, server.address());
  EXPECT_EQ(r.stats.failures_of(client::Failure::timeout), 3u);
  EXPECT_EQ(r.stats.connections, 3u);  // a timed-out connection is not used again
}

TEST(ClientWsRunTest, CountsARefusedUpgradeWithItsStatus) {
  ScriptedWsServer server(Behaviour::refuse_404);
  const client::RunResult r = run_ok(ws_options(5, 1), server.address());
  EXPECT_EQ(r.stats.failures_of(client::Failure::handshake), 5u);
  EXPECT_EQ(r.stats.status[404], 5u);
  EXPECT_EQ(r.stats.connections, 0u);
  EXPECT_NE(first_error(r.stats, client::Failure::handshake).find("status 404"), std::string::npos);
  EXPECT_EQ(server.messages(), 0u);
}

TEST(ClientWsRunTest, RefusesAWrongAcceptKey) {
  ScriptedWsServer server(Behaviour::bad_accept);
  const client::RunResult r = run_ok(ws_options(3, 1), server.address());
  EXPECT_EQ(r.stats.failures_of(client::Failure::handshake), 3u);
  EXPECT_NE(first_error(r.stats, client::Failure::handshake).find("Sec-WebSocket-Accept"),
            std::string::npos);
  EXPECT_EQ(server.messages(), 0u);
}

TEST(ClientWsRunTest, OpenLoopSendsTheScheduledMessagesAndTheWarmupUncounted) {
  ScriptedWsServer server(Behaviour::echo);
  client::Options options = ws_options(20, 2);
  options.plan.rate = 200;
  options.plan.warmup = 50ms;  // 10 tickets at 200/s
  const client::RunResult r = run_ok(options, server.address());
  EXPECT_EQ(r.stats.succeeded, 20u);
  EXPECT_EQ(r.stats.latency.count(), 20u);
  EXPECT_EQ(server.messages(), 30u);
}

TEST(ClientWsRunTest, MessagesCarryTheConfiguredSize) {
  ScriptedWsServer server(Behaviour::echo);
  client::Options options = ws_options(4, 1);
  options.message_size = 70000;  // a 64-bit length field, and more than one read per echo
  const client::RunResult r = run_ok(options, server.address());
  EXPECT_EQ(r.stats.succeeded, 4u);
  EXPECT_EQ(r.stats.bytes_received, 4u * (70000 + 10));
}

// ---- Report ----

// 300 messages over 3 connections (s1 x2, s2 x1), one echo mismatch.
client::RunResult ws_result() {
  client::RunResult r;
  client::Stats& s = r.stats;
  for (int i = 0; i < 299; ++i) s.record_latency(1ms, 500us);
  s.requests = 300;
  s.responses = s.succeeded = 299;
  s.connections = 3;
  s.clean_closes = 2;
  s.status[101] = 3;
  s.record_backend("s1");
  s.record_backend("s1");
  s.record_backend("s2");
  s.record_failure(client::Failure::mismatch, "echo of message 7 differs from it");
  r.duration_s = 1.0;
  return r;
}

TEST(ClientWsReportTest, JsonSaysMessagesAndConnections) {
  client::Options options = ws_options(300, 3);
  options.message_size = 128;
  const nlohmann::json j = client::to_json(ws_result(), options);
  EXPECT_EQ(j["websocket"]["message_size"], 128);
  EXPECT_EQ(j["websocket"]["connections"], 3);
  EXPECT_EQ(j["websocket"]["clean_closes"], 2);
  EXPECT_DOUBLE_EQ(j["websocket"]["messages_per_s"].get<double>(), 299.0);
  EXPECT_EQ(j["errors"]["mismatch"], 1);
  EXPECT_EQ(j["status"]["101"], 3);
}

TEST(ClientWsReportTest, HumanReportCountsBackendSharesPerConnection) {
  std::ostringstream out;
  client::write_human(out, ws_result(), ws_options(300, 3));
  const std::string text = out.str();
  for (const char* part :
       {"WebSocket, closed loop, 3 connections", "messages     300", "299.0 messages/s of 64 bytes",
        "3 opened, 2 closed cleanly", "s1: 2 (66.7%)", "s2: 1 (33.3%)", "mismatch: 1"}) {
    EXPECT_NE(text.find(part), std::string::npos) << part << "\n" << text;
  }
}

TEST(ClientWsReportTest, ProgressLineNamesMessages) {
  client::Progress before, now;
  now.done = 50;
  now.elapsed = 1s;
  EXPECT_EQ(client::progress_line(now, before, "messages").rfind("messages 50  rate 50/s", 0), 0u);
}

}  // namespace

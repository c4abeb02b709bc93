#include "load_balancer/header_rewrite.hpp"

#include <gtest/gtest.h>

#include <string>

namespace lb {
namespace {

common::RequestHead parse_request(const std::string& text) {
  common::RequestHead head;
  const auto parsed = common::parse_request_head(text, {}, head);
  EXPECT_EQ(parsed.state, common::ParseState::complete) << text;
  return head;
}

common::ResponseHead parse_response(const std::string& text) {
  common::ResponseHead head;
  const auto parsed = common::parse_response_head(text, {}, head);
  EXPECT_EQ(parsed.state, common::ParseState::complete) << text;
  return head;
}

// The fields every forwarded request from 10.0.0.7 ends with, before the framing.
std::string forwarded(const std::string& host = "h") {
  return "X-Forwarded-For: 10.0.0.7\r\nX-Forwarded-Proto: http\r\n" +
         (host.empty() ? "" : "X-Forwarded-Host: " + host + "\r\n") + "Via: 1.1 lb\r\n";
}

struct RequestCase {
  const char* name;
  std::string input;
  OutFraming framing;
  uint64_t length;
  bool upgrade;
  std::string expected;
};

class RequestRewriteTest : public testing::TestWithParam<RequestCase> {};

TEST_P(RequestRewriteTest, WritesTheHeadForTheBackend) {
  const RequestCase& c = GetParam();
  const common::RequestHead head = parse_request(c.input);
  std::string out = "left over from the previous request";
  rewrite_request_head(head, {"10.0.0.7", "1.1 lb", c.framing, c.length, c.upgrade}, out);
  EXPECT_EQ(out, c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Table, RequestRewriteTest,
    testing::Values(
        RequestCase{"PlainGet", "GET /a?b=c HTTP/1.1\r\nHost: example.org\r\nAccept: */*\r\n\r\n",
                    OutFraming::none, 0, false,
                    "GET /a?b=c HTTP/1.1\r\nHost: example.org\r\nAccept: */*\r\n" +
                        forwarded("example.org") + "\r\n"},
        RequestCase{"HostComesFirst", "GET / HTTP/1.1\r\nAccept: */*\r\nhost: h\r\n\r\n",
                    OutFraming::none, 0, false,
                    "GET / HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n" + forwarded() + "\r\n"},
        RequestCase{"AppendsClientToEveryEarlierForwardedFor",
                    "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.2.3.4\r\n"
                    "x-forwarded-for: 5.6.7.8, 9.9.9.9\r\n\r\n",
                    OutFraming::none, 0, false,
                    "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.2.3.4, 5.6.7.8, 9.9.9.9, "
                    "10.0.0.7\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: h\r\n"
                    "Via: 1.1 lb\r\n\r\n"},
        RequestCase{"ReplacesClientForwardedProtoAndHost",
                    "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto: https\r\n"
                    "X-Forwarded-Host: evil\r\n\r\n",
                    OutFraming::none, 0, false,
                    "GET / HTTP/1.1\r\nHost: h\r\n" + forwarded() + "\r\n"},
        RequestCase{"DropsHopByHopFieldsAndThoseConnectionNames",
                    "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Secret\r\n"
                    "X-Secret: 1\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\n"
                    "TE: trailers\r\nTrailer: X-Sum\r\nUpgrade: h2c\r\nX-Kept: 2\r\n\r\n",
                    OutFraming::none, 0, false,
                    "GET / HTTP/1.1\r\nHost: h\r\nX-Kept: 2\r\n" + forwarded() + "\r\n"},
        RequestCase{"KeepsEarlierViaAndAddsItsOwn",
                    "GET / HTTP/1.1\r\nHost: h\r\nVia: 1.0 edge\r\n\r\n", OutFraming::none, 0,
                    false, "GET / HTTP/1.1\r\nHost: h\r\nVia: 1.0 edge\r\n" + forwarded() + "\r\n"},
        RequestCase{"ContentLengthWrittenByTheProxy",
                    "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Type: a/b\r\n\r\n",
                    OutFraming::length, 5, false,
                    "POST /p HTTP/1.1\r\nHost: h\r\nContent-Type: a/b\r\n" + forwarded() +
                        "Content-Length: 5\r\n\r\n"},
        RequestCase{
            "ChunkedWrittenByTheProxy",
            "PUT /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            OutFraming::chunked, 0, false,
            "PUT /p HTTP/1.1\r\nHost: h\r\n" + forwarded() + "Transfer-Encoding: chunked\r\n\r\n"},
        RequestCase{"ExpectContinueAnsweredByTheProxy",
                    "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                    "Content-Length: 1\r\n\r\n",
                    OutFraming::length, 1, false,
                    "POST / HTTP/1.1\r\nHost: h\r\n" + forwarded() + "Content-Length: 1\r\n\r\n"},
        RequestCase{"Http10WithoutHostGetsAnEmptyOne", "GET /old HTTP/1.0\r\nAccept: */*\r\n\r\n",
                    OutFraming::none, 0, false,
                    "GET /old HTTP/1.1\r\nHost: \r\nAccept: */*\r\n" + forwarded("") + "\r\n"},
        RequestCase{"WebSocketHandshakeKeepsUpgrade",
                    "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
                    "Connection: keep-alive, Upgrade, X-Hop\r\nX-Hop: 1\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                    OutFraming::none, 0, true,
                    "GET /ws HTTP/1.1\r\nHost: h\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
                        forwarded() + "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n"},
        // h2c smuggling: a backend that speaks h2c must not be offered it through the tunnel.
        RequestCase{"WebSocketHandshakeForwardsOnlyWebSocket",
                    "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket, h2c\r\n"
                    "Connection: Upgrade\r\n\r\n",
                    OutFraming::none, 0, true,
                    "GET /ws HTTP/1.1\r\nHost: h\r\n" + forwarded() +
                        "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n"}),
    [](const testing::TestParamInfo<RequestCase>& param) { return std::string(param.param.name); });

struct ResponseCase {
  const char* name;
  std::string input;
  ResponseRewrite how;  // via is set by the test
  std::string expected;
};

class ResponseRewriteTest : public testing::TestWithParam<ResponseCase> {};

TEST_P(ResponseRewriteTest, WritesTheHeadForTheClient) {
  const ResponseCase& c = GetParam();
  const common::ResponseHead head = parse_response(c.input);
  ResponseRewrite how = c.how;
  how.via = "1.1 lb";
  std::string out = "stale";
  rewrite_response_head(head, how, out);
  EXPECT_EQ(out, c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ResponseRewriteTest,
    testing::Values(
        ResponseCase{"LengthKeptAndBackendConnectionDropped",
                     "HTTP/1.1 200 OK\r\nServer: s\r\nConnection: close\r\n"
                     "Content-Length: 5\r\n\r\n",
                     {{}, OutFraming::length, 5, {}},
                     "HTTP/1.1 200 OK\r\nServer: s\r\nVia: 1.1 lb\r\nContent-Length: 5\r\n\r\n"},
        ResponseCase{"ChunkedReframed",
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n",
                     {{}, OutFraming::chunked, 0, {}},
                     "HTTP/1.1 200 OK\r\nVia: 1.1 lb\r\nTransfer-Encoding: chunked\r\n\r\n"},
        ResponseCase{"UntilCloseToHttp10ClientCloses",
                     "HTTP/1.0 200 OK\r\nX-A: 1\r\n\r\n",
                     {{}, OutFraming::close, 0, "close"},
                     "HTTP/1.1 200 OK\r\nX-A: 1\r\nVia: 1.1 lb\r\nConnection: close\r\n\r\n"},
        ResponseCase{"BodilessResponseKeepsItsLength",
                     "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n",
                     {{}, OutFraming::none, 0, {}},
                     "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nVia: 1.1 lb\r\n\r\n"},
        ResponseCase{"KeepAliveAnnouncedToHttp10Client",
                     "HTTP/1.1 204 No Content\r\nKeep-Alive: timeout=5\r\n\r\n",
                     {{}, OutFraming::none, 0, "keep-alive"},
                     "HTTP/1.1 204 No Content\r\nVia: 1.1 lb\r\nConnection: keep-alive\r\n\r\n"},
        ResponseCase{"EmptyReasonGetsTheStandardText",
                     "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n",
                     {{}, OutFraming::length, 0, {}},
                     "HTTP/1.1 404 Not Found\r\nVia: 1.1 lb\r\nContent-Length: 0\r\n\r\n"},
        ResponseCase{"FieldsNamedByConnectionDropped",
                     "HTTP/1.1 200 OK\r\nConnection: X-Internal\r\nX-Internal: secret\r\n"
                     "Upgrade: h2c\r\nContent-Length: 0\r\n\r\n",
                     {{}, OutFraming::length, 0, {}},
                     "HTTP/1.1 200 OK\r\nVia: 1.1 lb\r\nContent-Length: 0\r\n\r\n"},
        ResponseCase{
            "SwitchingProtocolsKeepsUpgrade",
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
            {{}, OutFraming::none, 0, "Upgrade"},
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nVia: 1.1 lb\r\n"
            "Connection: Upgrade\r\n\r\n"}),
    [](const testing::TestParamInfo<ResponseCase>& param) {
      return std::string(param.param.name);
    });

struct UpgradeCase {
  const char* name;
  std::string input;
  bool websocket;
};

class WebSocketUpgradeTest : public testing::TestWithParam<UpgradeCase> {};

TEST_P(WebSocketUpgradeTest, RecognisesTheHandshake) {
  EXPECT_EQ(is_websocket_upgrade(parse_request(GetParam().input)), GetParam().websocket);
}

INSTANTIATE_TEST_SUITE_P(
    Table, WebSocketUpgradeTest,
    testing::Values(
        UpgradeCase{
            "Handshake",
            "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", true},
        UpgradeCase{"TokensInListsAnyCase",
                    "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: WebSocket\r\n"
                    "Connection: keep-alive, upgrade\r\n\r\n",
                    true},
        UpgradeCase{"NoConnectionUpgrade",
                    "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n", false},
        UpgradeCase{"OtherProtocol",
                    "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n",
                    false},
        UpgradeCase{
            "NotAGet",
            "POST / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
            false},
        UpgradeCase{"Http10", "GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
                    false}),
    [](const testing::TestParamInfo<UpgradeCase>& param) { return std::string(param.param.name); });

// Only a switch to WebSocket opens a tunnel: a 101 to h2c would let later requests pass unseen.
TEST(SwitchesToWebSocketTest, AcceptsOnlyA101ToWebSocketAlone) {
  const struct {
    const char* head;
    bool websocket;
  } table[] = {
      {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", true},
      {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\n\r\n", true},
      {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", false},
      {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket, h2c\r\n\r\n", false},
      {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nUpgrade: h2c\r\n\r\n", false},
      {"HTTP/1.1 101 Switching Protocols\r\n\r\n", false},
      {"HTTP/1.1 200 OK\r\nUpgrade: websocket\r\n\r\n", false},
  };
  for (const auto& row : table) {
    common::ResponseHead head;
    ASSERT_EQ(common::parse_response_head(row.head, {}, head).state, common::ParseState::complete);
    EXPECT_EQ(switches_to_websocket(head), row.websocket) << row.head;
  }
}

}  // namespace
}  // namespace lb

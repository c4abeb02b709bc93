#include "common/http_message.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "common/http_parser.hpp"

namespace common {
namespace {

TEST(HttpMessageTest, StatusTextForEveryCommonCode) {
  const std::pair<int, std::string_view> table[] = {
      {100, "Continue"},
      {101, "Switching Protocols"},
      {200, "OK"},
      {201, "Created"},
      {202, "Accepted"},
      {204, "No Content"},
      {206, "Partial Content"},
      {301, "Moved Permanently"},
      {302, "Found"},
      {304, "Not Modified"},
      {307, "Temporary Redirect"},
      {308, "Permanent Redirect"},
      {400, "Bad Request"},
      {401, "Unauthorized"},
      {403, "Forbidden"},
      {404, "Not Found"},
      {405, "Method Not Allowed"},
      {408, "Request Timeout"},
      {411, "Length Required"},
      {413, "Content Too Large"},
      {414, "URI Too Long"},
      {415, "Unsupported Media Type"},
      {416, "Range Not Satisfiable"},
      {426, "Upgrade Required"},
      {429, "Too Many Requests"},
      {431, "Request Header Fields Too Large"},
      {500, "Internal Server Error"},
      {501, "Not Implemented"},
      {502, "Bad Gateway"},
      {503, "Service Unavailable"},
      {504, "Gateway Timeout"},
      {505, "HTTP Version Not Supported"},
  };
  for (const auto& [status, text] : table) EXPECT_EQ(status_text(status), text) << status;
}

TEST(HttpMessageTest, UnknownStatusText) {
  EXPECT_EQ(status_text(299), "Unknown");
  EXPECT_EQ(status_text(0), "Unknown");
  EXPECT_EQ(status_text(-1), "Unknown");
}

TEST(HttpMessageTest, AppendsStatusLineAndHeader) {
  std::string out = "x";
  append_status_line(out, 404);
  append_header(out, "Content-Type", "text/html");
  EXPECT_EQ(out, "xHTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n");
}

TEST(HttpMessageTest, SimpleResponseIsExact) {
  EXPECT_EQ(simple_response(404, "no such page\n", true, "Retry-After: 5\r\n"),
            "HTTP/1.1 404 Not Found\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 13\r\n"
            "Retry-After: 5\r\n"
            "Connection: close\r\n"
            "\r\n"
            "no such page\n");
}

TEST(HttpMessageTest, SimpleResponseWithoutContentOmitsBodyAndLength) {
  EXPECT_EQ(simple_response(204, "ignored", false), "HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_EQ(simple_response(304, "ignored", true),
            "HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(simple_response(101, "", false, "Upgrade: websocket\r\nConnection: Upgrade\r\n"),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
}

// What the writer produces, the strict parser accepts with the framing it announces.
TEST(HttpMessageTest, SimpleResponseParsesBack) {
  for (const bool close : {false, true}) {
    const std::string body = "service unavailable: all backends down\n";
    const std::string wire = simple_response(503, body, close);
    ResponseHead head;
    const ParseResult r = parse_response_head(wire, HttpLimits{}, head);
    ASSERT_EQ(r.state, ParseState::complete) << r.reason;
    EXPECT_EQ(head.status, 503);
    EXPECT_EQ(head.reason, "Service Unavailable");
    const BodyFraming framing = response_body_framing(head, "GET");
    EXPECT_EQ(framing.kind, BodyKind::content_length);
    EXPECT_EQ(framing.length, body.size());
    EXPECT_EQ(wire.substr(r.consumed), body);
    EXPECT_EQ(keeps_alive(head.version_minor, head.headers), !close);
  }
}

}  // namespace
}  // namespace common

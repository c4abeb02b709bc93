#include "client/response_reader.hpp"

#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <thread>

#include "tests/unit/net_test_support.hpp"

namespace {

using namespace std::chrono_literals;
using client::Clock;
using client::ResponseReader;

// One loopback connection: the test writes as the server, the reader reads as the client.
struct Conversation {
  net_test::TcpPair pair = net_test::tcp_pair();
  ResponseReader reader{10s};

  Conversation() { EXPECT_TRUE(reader.attach(pair.client).ok()); }
  void write(std::string_view bytes) { ASSERT_TRUE(common::send_all(pair.server, bytes).ok()); }
  void close_server() { pair.server.reset(); }
  common::Result<client::Response> read(std::string_view method = "GET") {
    return reader.read(method, Clock::now() + 10s);
  }
  // True once the reader took every byte written so far (it is in, or on its way to, recv).
  bool drained() {
    int unread = 0;
    return ioctl(pair.client.get(), FIONREAD, &unread) == 0 && unread == 0;
  }
};

struct Case {
  const char* name;
  const char* method;
  std::string_view bytes;
  bool close_after;  // the server closes once it wrote the bytes
  int status;
  uint64_t body_bytes;
  bool keep_alive;
  const char* backend;  // nullptr: no X-Backend
};

const Case kCases[] = {
    {"content_length", "GET", "HTTP/1.1 200 OK\r\nX-Backend: s1\r\nContent-Length: 5\r\n\r\nhello",
     false, 200, 5, true, "s1"},
    {"empty_body", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, 200, 0, true,
     nullptr},
    {"chunked", "GET",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nx-backend: b2\r\n\r\n"
     "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: t\r\n\r\n",
     false, 200, 11, true, "b2"},
    {"no_content", "GET", "HTTP/1.1 204 No Content\r\n\r\n", false, 204, 0, true, nullptr},
    {"head_ignores_length", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", false, 200,
     0, true, nullptr},
    {"informational_skipped", "GET",
     "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", false, 201,
     2, true, nullptr},
    {"connection_close", "GET",
     "HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx", false, 503, 1, false,
     nullptr},
    {"http10_closes", "GET", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", false, 200, 1, false,
     nullptr},
    {"until_close", "GET", "HTTP/1.1 200 OK\r\n\r\nread me until the end", true, 200, 21, false,
     nullptr},
};

class ResponseReaderCaseTest : public ::testing::TestWithParam<Case> {};

TEST_P(ResponseReaderCaseTest, ReadsTheWholeResponse) {
  const Case& c = GetParam();
  Conversation conv;
  conv.write(c.bytes);
  if (c.close_after) conv.close_server();
  auto response = conv.read(c.method);
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, c.status);
  EXPECT_EQ(response->body_bytes, c.body_bytes);
  EXPECT_EQ(response->keep_alive, c.keep_alive);
  EXPECT_EQ(response->has_backend, c.backend != nullptr);
  EXPECT_EQ(response->backend, c.backend ? c.backend : "");
  EXPECT_EQ(response->wire_bytes, c.bytes.size());
  EXPECT_EQ(conv.reader.buffered(), 0u);
}

// Every case again, with the bytes arriving in two reads split at every offset.
TEST_P(ResponseReaderCaseTest, ReadsTheSameWhenSplitAtAnyByte) {
  const Case& c = GetParam();
  for (size_t split = 1; split < c.bytes.size(); ++split) {
    SCOPED_TRACE("split at " + std::to_string(split));
    Conversation conv;
    conv.write(c.bytes.substr(0, split));
    common::Result<client::Response> response = common::Error{common::Errc::io_error, "not read"};
    std::jthread reader([&] { response = conv.read(c.method); });
    ASSERT_TRUE(net_test::eventually([&] { return conv.drained(); }));
    conv.write(c.bytes.substr(split));
    if (c.close_after) conv.close_server();
    reader.join();
    ASSERT_TRUE(response.ok()) << response.error().message;
    EXPECT_EQ(response->status, c.status);
    EXPECT_EQ(response->body_bytes, c.body_bytes);
    EXPECT_EQ(response->backend, c.backend ? c.backend : "");
  }
}

INSTANTIATE_TEST_SUITE_P(Table, ResponseReaderCaseTest, ::testing::ValuesIn(kCases),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(ResponseReaderTest, KeepsBytesPastTheResponseForTheNextOne) {
  Conversation conv;
  const std::string second =
      "HTTP/1.1 404 Not Found\r\nX-Backend: s2\r\nContent-Length: 3\r\n\r\nnop";
  conv.write("HTTP/1.1 200 OK\r\nX-Backend: s1\r\nContent-Length: 2\r\n\r\nok" + second);
  auto first = conv.read();
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->backend, "s1");
  EXPECT_EQ(conv.reader.buffered(), second.size());
  auto next = conv.read();
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->status, 404);
  EXPECT_EQ(next->backend, "s2");
  EXPECT_EQ(next->body_bytes, 3u);
  EXPECT_EQ(conv.reader.buffered(), 0u);
}

TEST(ResponseReaderTest, ReadsABodyLargerThanTheBuffer) {
  Conversation conv;
  const size_t size = 3 * ResponseReader::kBufferSize + 17;
  const std::string body = net_test::pattern(size, 'a');
  std::jthread writer([&] {
    conv.write("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n" + body);
  });
  auto response = conv.read();
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->body_bytes, size);
}

struct Failing {
  const char* name;
  std::string_view bytes;  // written, then the server closes
  common::Errc code;
  const char* says;
};

const Failing kFailing[] = {
    {"closed_before_response", "", common::Errc::closed, "closed before the response"},
    {"closed_in_head", "HTTP/1.1 200 OK\r\nContent-Le", common::Errc::closed,
     "in the response head"},
    {"closed_mid_body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", common::Errc::closed,
     "after 3 of 10 body bytes"},
    {"closed_mid_chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
     common::Errc::closed, "chunked body"},
    {"malformed_status", "HTTP/1.1 2x0 OK\r\n\r\n", common::Errc::protocol, "head"},
    {"bad_chunk_size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
     common::Errc::protocol, "chunked body"},
    {"conflicting_lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx",
     common::Errc::protocol, "framing"},
};

class ResponseReaderFailureTest : public ::testing::TestWithParam<Failing> {};

TEST_P(ResponseReaderFailureTest, FailsWithTheRightKind) {
  const Failing& c = GetParam();
  Conversation conv;
  if (!c.bytes.empty()) conv.write(c.bytes);
  conv.close_server();
  auto response = conv.read();
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, c.code) << response.error().message;
  EXPECT_NE(response.error().message.find(c.says), std::string::npos) << response.error().message;
}

INSTANTIATE_TEST_SUITE_P(Table, ResponseReaderFailureTest, ::testing::ValuesIn(kFailing),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(ResponseReaderTest, TimesOutAtTheDeadlineWhenNothingArrives) {
  net_test::TcpPair pair = net_test::tcp_pair();
  ResponseReader reader(200ms);
  ASSERT_TRUE(reader.attach(pair.client).ok());
  const auto start = Clock::now();
  auto response = reader.read("GET", start + 200ms);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, common::Errc::timed_out) << response.error().message;
  EXPECT_GE(Clock::now() - start, 200ms);
}

// A server that sends a byte now and then never lets a single recv time out; the deadline of the
// whole response must still end the read.
TEST(ResponseReaderTest, TimesOutAResponseThatTricklesPastTheDeadline) {
  net_test::TcpPair pair = net_test::tcp_pair();
  ResponseReader reader(300ms);
  ASSERT_TRUE(reader.attach(pair.client).ok());
  std::jthread trickle([&](std::stop_token stop) {
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
    if (!common::send_all(pair.server, head)) return;
    for (int i = 0; i < 200 && !stop.stop_requested(); ++i) {  // at most 10 s
      if (!common::send_all(pair.server, "x")) return;
      std::this_thread::sleep_for(50ms);
    }
  });
  auto response = reader.read("GET", Clock::now() + 300ms);
  trickle.request_stop();
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, common::Errc::timed_out) << response.error().message;
}

// After a slow response shortened the socket's receive timeout, the next request still gets its
// whole timeout.
TEST(ResponseReaderTest, ASlowResponseDoesNotShortenTheNextTimeout) {
  net_test::TcpPair pair = net_test::tcp_pair();
  ResponseReader reader(4s);
  ASSERT_TRUE(reader.attach(pair.client).ok());
  common::Result<client::Response> first = common::Error{common::Errc::io_error, "not read"};
  {
    ASSERT_TRUE(common::send_all(pair.server, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n").ok());
    std::jthread read([&] { first = reader.read("GET", Clock::now() + 4s); });
    ASSERT_TRUE(net_test::eventually([&] {
      int unread = 0;
      return ioctl(pair.client.get(), FIONREAD, &unread) == 0 && unread == 0;
    }));
    std::this_thread::sleep_for(2s);  // the body is late: the reader's next recv has ~2 s left
    ASSERT_TRUE(common::send_all(pair.server, "ok").ok());
  }
  ASSERT_TRUE(first.ok()) << first.error().message;
  common::Result<client::Response> second = common::Error{common::Errc::io_error, "not read"};
  {
    std::jthread read([&] { second = reader.read("GET", Clock::now() + 4s); });
    std::this_thread::sleep_for(3s);  // past the shortened timeout, well within the deadline
    ASSERT_TRUE(common::send_all(pair.server, "HTTP/1.1 204 No Content\r\n\r\n").ok());
  }
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->status, 204);
}

}  // namespace

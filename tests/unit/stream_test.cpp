#include "common/stream.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <deque>
#include <string>
#include <thread>

#include "tests/unit/net_test_support.hpp"

namespace {

using namespace std::chrono_literals;
using common::Clock;
using common::ReadEnd;

// A transport that hands out the given pieces one per read, then reports the peer closed (or a
// timeout, when told to): any byte split of a message, without a socket.
class ScriptedTransport final : public common::Transport {
 public:
  explicit ScriptedTransport(std::deque<std::string> pieces, bool times_out = false)
      : pieces_(std::move(pieces)), times_out_(times_out) {}

  common::Result<size_t> read_some(char* buffer, size_t capacity) override {
    while (!pieces_.empty() && pieces_.front().empty()) pieces_.pop_front();
    if (pieces_.empty()) {
      if (times_out_) return common::Error{common::Errc::timed_out, "scripted timeout"};
      return size_t{0};
    }
    std::string& piece = pieces_.front();
    const size_t n = std::min(capacity, piece.size());
    piece.copy(buffer, n);
    piece.erase(0, n);
    if (piece.empty()) pieces_.pop_front();
    return n;
  }
  common::Status write_all(std::initializer_list<std::string_view> pieces) override {
    for (std::string_view piece : pieces) written += piece;
    return common::Ok{};
  }
  common::Status set_timeouts(common::Millis, common::Millis) override { return common::Ok{}; }
  void shutdown() override {}
  void shutdown_sending() override {}
  const common::Fd& fd() const override { return no_fd_; }

  std::string written;

 private:
  std::deque<std::string> pieces_;
  bool times_out_;
  common::Fd no_fd_;
};

std::string body_of(common::Stream& stream, const common::BodyFraming& framing,
                    common::BodyRead& read, uint64_t max_body = 0) {
  std::string body;
  read = stream.read_body(framing, max_body, {}, [&body](std::string_view run) { body += run; });
  return body;
}

struct Case {
  const char* name;
  std::string wire;
  ReadEnd head_end;
  ReadEnd body_end;
  std::string body;
  std::string after;  // sent past the message
};

const Case kCases[] = {
    {"no_body", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", ReadEnd::complete, ReadEnd::complete, "", ""},
    {"length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET", ReadEnd::complete,
     ReadEnd::complete, "hello", "GET"},
    {"chunked",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
     "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\nX",
     ReadEnd::complete, ReadEnd::complete, "abcde", "X"},
    {"closed_in_body", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\nabc",
     ReadEnd::complete, ReadEnd::closed, "abc", ""},
    {"bad_chunk", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
     ReadEnd::complete, ReadEnd::invalid, "", ""},
    {"bad_head", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", ReadEnd::invalid, ReadEnd::complete, "", ""},
    {"closed_in_head", "GET / HTTP/1.1\r\nHo", ReadEnd::closed, ReadEnd::complete, "", ""},
};

class StreamCaseTest : public ::testing::TestWithParam<Case> {};

// Every split of the wire into two reads gives the same head, body and leftover.
TEST_P(StreamCaseTest, ReadsTheSameWhenSplitAtAnyByte) {
  const Case& c = GetParam();
  for (size_t at = 0; at <= c.wire.size(); ++at) {
    SCOPED_TRACE("split at " + std::to_string(at));
    ScriptedTransport transport({c.wire.substr(0, at), c.wire.substr(at)});
    common::Stream stream(16, 4096);  // small: the buffer must grow and compact
    stream.attach(transport, 1s);
    common::RequestHead head;
    const common::HeadRead got = stream.read_head(head, {}, {});
    ASSERT_EQ(got.end, c.head_end);
    if (got.end != ReadEnd::complete) continue;
    stream.consume(got.size);
    common::BodyRead read;
    const std::string body = body_of(stream, common::request_body_framing(head), read);
    EXPECT_EQ(read.end, c.body_end);
    EXPECT_EQ(body, c.body);
    EXPECT_EQ(read.bytes, c.body.size());
    // What was read past the body is the start of what follows it; nothing more is read.
    if (read.end == ReadEnd::complete) {
      EXPECT_TRUE(c.after.starts_with(stream.data())) << stream.data();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Table, StreamCaseTest, ::testing::ValuesIn(kCases),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(StreamTest, RefusesAChunkedBodyOverTheLimit) {
  ScriptedTransport transport({"5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"});
  common::Stream stream(64, 64);
  stream.attach(transport, 1s);
  common::BodyRead read;
  body_of(stream, {common::BodyKind::chunked, 0, common::HttpError::none, {}}, read, 8);
  EXPECT_EQ(read.end, ReadEnd::invalid);
  EXPECT_EQ(read.error, common::HttpError::payload_too_large);
}

TEST(StreamTest, WritesThroughTheTransport) {
  ScriptedTransport transport({});
  common::Stream stream(64, 64);
  stream.attach(transport, 1s);
  ASSERT_TRUE(stream.write({"HTTP/1.1 ", "200 OK\r\n"}).ok());
  EXPECT_EQ(transport.written, "HTTP/1.1 200 OK\r\n");
}

TEST(StreamTest, SilenceBeforeAHeadIsATimeoutNotStarted) {
  ScriptedTransport transport({}, /*times_out=*/true);
  common::Stream stream(64, 64);
  stream.attach(transport, 1s);
  common::RequestHead head;
  const common::HeadRead got = stream.read_head(head, {}, {Clock::now() + 1s, {}});
  EXPECT_EQ(got.end, ReadEnd::timed_out);
  EXPECT_FALSE(got.started);
}

// A body that never lets one read time out still ends at the whole body's deadline.
TEST(StreamTest, TimesOutABodyTricklingInBelowTheMinimumRate) {
  net_test::TcpPair pair = net_test::tcp_pair();
  common::PlainSocket socket(pair.server);
  ASSERT_TRUE(socket.set_timeouts(1s, 1s).ok());
  common::Stream stream(64, 64);
  stream.attach(socket, 1s);
  std::jthread trickle([&](std::stop_token stop) {
    for (int i = 0; i < 200 && !stop.stop_requested(); ++i) {  // at most 10 s
      if (!common::send_all(pair.client, "x")) return;
      std::this_thread::sleep_for(50ms);
    }
  });
  const auto start = Clock::now();
  common::BodyRead read;
  read = stream.read_body({common::BodyKind::content_length, 1000, common::HttpError::none, {}}, 0,
                          {.each_read = 1s, .grace = 300ms, .min_rate = 500});
  trickle.request_stop();
  EXPECT_EQ(read.end, ReadEnd::timed_out);
  EXPECT_LT(Clock::now() - start, 5s);
  EXPECT_GT(read.bytes, 0u);
}

// A server that answers before reading everything the client sends (413 on a large body) and
// then closes: without the linger the unread bytes make the kernel reset the connection, and the
// client may never read the answer.
TEST(StreamLingerTest, LetsThePeerReadTheAnswerWhileItStillSends) {
  net_test::TcpPair pair = net_test::tcp_pair();
  const std::string body = net_test::pattern(3 * 1024 * 1024, 'b');
  common::Status sent = common::Ok{};
  std::thread sender([&] {
    sent = common::send_all(pair.client, body);
    shutdown(pair.client.get(), SHUT_WR);  // the linger ends on this, long before its 10 s
  });
  {
    common::PlainSocket socket(pair.server);
    common::Stream stream(64, 64);
    stream.attach(socket, 10s);
    ASSERT_TRUE(stream.write("413 answer").ok());
    stream.linger_before_close(10s, 8 * 1024 * 1024);
  }
  pair.server = common::Fd();
  sender.join();
  EXPECT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_EQ(net_test::read_to_eof(pair.client), "413 answer");
}

TEST(StreamLingerTest, StopsAtItsByteBound) {
  net_test::TcpPair pair = net_test::tcp_pair();
  const std::string chunk = net_test::pattern(64 * 1024, 'c');
  std::atomic<bool> stop{false};
  std::thread sender([&] {
    while (!stop && common::send_all(pair.client, chunk).ok()) {
    }
  });
  {
    common::PlainSocket socket(pair.server);
    common::Stream stream(4096, 4096);
    stream.attach(socket, 60s);
    stream.linger_before_close(60s, 256 * 1024);  // returns on bytes, not time
  }
  stop = true;
  pair.server = common::Fd();  // the reset ends the sender
  sender.join();
}

}  // namespace

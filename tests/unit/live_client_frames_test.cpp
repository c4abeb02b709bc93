#include <gtest/gtest.h>

#include "common/websocket.hpp"
#include "web_server/live/client_frames.hpp"

namespace web::live {
namespace {

namespace ws = common::ws;

std::string client_frame(ws::Opcode opcode, std::string_view payload) {
  const std::array<uint8_t, 4> mask{1, 2, 3, 4};
  std::string frame;
  ws::append_frame(frame, opcode, payload, &mask);
  return frame;
}

TEST(LiveClientFramesTest, AnswersPingsWithPongsAndIgnoresPongs) {
  ClientFrames frames;
  std::string out;
  const std::string input =
      client_frame(ws::Opcode::ping, "hi") + client_frame(ws::Opcode::pong, "x");
  EXPECT_EQ(frames.feed(input, out), input.size());
  EXPECT_EQ(out, "\x8A\x02hi");
  EXPECT_FALSE(frames.finished());
}

TEST(LiveClientFramesTest, WaitsForAWholeControlFrame) {
  ClientFrames frames;
  std::string out;
  const std::string ping = client_frame(ws::Opcode::ping, "abc");
  for (size_t cut = 0; cut < ping.size(); ++cut) {
    EXPECT_EQ(frames.feed(ping.substr(0, cut), out), 0u) << cut;
  }
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(frames.feed(ping, out), ping.size());
  EXPECT_EQ(out,
            "\x8A\x03"
            "abc");
}

TEST(LiveClientFramesTest, AnswersACloseWithTheSameCode) {
  ClientFrames frames;
  std::string out;
  frames.feed(client_frame(ws::Opcode::close, "\x03\xE8"), out);
  EXPECT_EQ(out, "\x88\x02\x03\xE8");
  EXPECT_TRUE(frames.finished());
  EXPECT_TRUE(frames.peer_closed());
}

TEST(LiveClientFramesTest, ClosesOnDataMessagesAndProtocolErrors) {
  const std::pair<std::string, std::string> cases[] = {
      {client_frame(ws::Opcode::text, "hello"), "\x88\x02\x03\xEB"},  // 1003
      {std::string("\x89\x00", 2), "\x88\x02\x03\xEA"},               // unmasked: 1002
      {client_frame(ws::Opcode::close, "\x03"), "\x88\x02\x03\xEA"},  // 1-byte close: 1002
  };
  for (const auto& [input, expected] : cases) {
    ClientFrames frames;
    std::string out;
    frames.feed(input, out);
    EXPECT_EQ(out, expected);
    EXPECT_TRUE(frames.finished());
    EXPECT_FALSE(frames.peer_closed());
  }
}

}  // namespace
}  // namespace web::live

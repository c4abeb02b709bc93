#include "web_server/ws_echo.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace web {
namespace {

namespace ws = common::ws;
using ws::close_payload;

// A frame as a browser sends it: masked.
std::string client_frame(ws::Opcode opcode, std::string_view payload, bool fin = true) {
  const std::array<uint8_t, 4> mask{0x12, 0x34, 0x56, 0x78};
  std::string out;
  ws::append_frame_header(out, opcode, fin, payload.size(), &mask);
  std::string masked(payload);
  ws::apply_mask(masked.data(), masked.size(), mask, 0);
  return out + masked;
}

struct Frame {
  ws::Opcode opcode;
  std::string payload;
  bool operator==(const Frame&) const = default;
};
void PrintTo(const Frame& f, std::ostream* os) {
  *os << "{opcode " << static_cast<int>(f.opcode) << ", " << f.payload.size() << " bytes}";
}

// Splits the server's output into frames (all final and unmasked, or the test fails).
std::vector<Frame> server_frames(std::string_view out) {
  std::vector<Frame> frames;
  while (!out.empty()) {
    const ws::HeaderParse parse = ws::parse_frame_header(out, ws::FrameRules{false, UINT64_MAX});
    EXPECT_EQ(parse.state, common::ParseState::complete);
    if (parse.state != common::ParseState::complete) break;
    EXPECT_TRUE(parse.header.fin);
    const auto length = static_cast<size_t>(parse.header.payload_length);
    frames.push_back({parse.header.opcode, std::string(out.substr(parse.header.size, length))});
    out.remove_prefix(parse.header.size + length);
  }
  return frames;
}

Frame close_frame(uint16_t code) { return {ws::Opcode::close, close_payload(code)}; }

struct EchoCase {
  const char* name;
  std::string input;
  std::vector<Frame> replies;
  bool finished;
};
void PrintTo(const EchoCase& c, std::ostream* os) { *os << c.name; }

constexpr uint64_t kMaxMessage = 16;
const auto kText = ws::Opcode::text;
const auto kBinary = ws::Opcode::binary;
const auto kMore = ws::Opcode::continuation;

const EchoCase kEchoCases[] = {
    {"Text", client_frame(kText, "hello"), {{kText, "hello"}}, false},
    {"Binary",
     client_frame(kBinary, std::string("\0\xff", 2)),
     {{kBinary, std::string("\0\xff", 2)}},
     false},
    {"EmptyText", client_frame(kText, ""), {{kText, ""}}, false},
    {"TwoMessages",
     client_frame(kText, "a") + client_frame(kBinary, "b"),
     {{kText, "a"}, {kBinary, "b"}},
     false},
    {"Fragments",
     client_frame(kText, "hel", false) + client_frame(kMore, "lo"),
     {{kText, "hello"}},
     false},
    {"CharacterSplitAcrossFragments",
     client_frame(kText, "caf\xc3", false) + client_frame(kMore, "\xa9"),
     {{kText, "caf\xc3\xa9"}},
     false},
    {"PingBetweenFragments",
     client_frame(kText, "a", false) + client_frame(ws::Opcode::ping, "p") +
         client_frame(kMore, "b"),
     {{ws::Opcode::pong, "p"}, {kText, "ab"}},
     false},
    {"Ping",
     client_frame(ws::Opcode::ping, "are you there"),
     {{ws::Opcode::pong, "are you there"}},
     false},
    {"PongIgnored", client_frame(ws::Opcode::pong, "x"), {}, false},
    {"CloseEchoesCode",
     client_frame(ws::Opcode::close, close_payload(1000, "bye")),
     {close_frame(1000)},
     true},
    {"CloseWithPrivateCode",
     client_frame(ws::Opcode::close, close_payload(4001)),
     {close_frame(4001)},
     true},
    {"EmptyClose", client_frame(ws::Opcode::close, ""), {{ws::Opcode::close, ""}}, true},
    {"NothingAfterClose",
     client_frame(ws::Opcode::close, "") + client_frame(kText, "late"),
     {{ws::Opcode::close, ""}},
     true},
    {"OneByteClose", client_frame(ws::Opcode::close, "x"), {close_frame(1002)}, true},
    {"CloseCode1005",
     client_frame(ws::Opcode::close, close_payload(1005)),
     {close_frame(1002)},
     true},
    {"CloseReasonNotUtf8",
     client_frame(ws::Opcode::close, close_payload(1000, "\xff")),
     {close_frame(1007)},
     true},
    {"Unmasked", std::string("\x81\x01x", 3), {close_frame(1002)}, true},
    {"ContinuationWithoutMessage", client_frame(kMore, "x"), {close_frame(1002)}, true},
    {"NewMessageBeforeTheLastEnded",
     client_frame(kText, "a", false) + client_frame(kText, "b"),
     {close_frame(1002)},
     true},
    {"TextNotUtf8", client_frame(kText, "\xc0\xaf"), {close_frame(1007)}, true},
    {"FrameOverLimit", client_frame(kBinary, std::string(17, 'x')), {close_frame(1009)}, true},
    {"FrameAtLimit",
     client_frame(kBinary, std::string(16, 'x')),
     {{kBinary, std::string(16, 'x')}},
     false},
    {"FragmentsOverLimit",
     client_frame(kBinary, std::string(10, 'x'), false) + client_frame(kMore, std::string(7, 'x')),
     {close_frame(1009)},
     true},
    {"LongPing", client_frame(ws::Opcode::ping, std::string(126, 'p')), {close_frame(1002)}, true},
    {"ReservedOpcode", client_frame(static_cast<ws::Opcode>(3), "x"), {close_frame(1002)}, true},
};

class EchoSessionTest : public testing::TestWithParam<EchoCase> {};

TEST_P(EchoSessionTest, RepliesAsRfc6455Says) {
  EchoSession session(kMaxMessage);
  std::string out;
  const size_t used = session.feed(GetParam().input, out);
  EXPECT_EQ(server_frames(out), GetParam().replies);
  EXPECT_EQ(session.finished(), GetParam().finished);
  if (!session.finished()) {
    EXPECT_EQ(used, GetParam().input.size());
  }
}

// Bytes arrive in any pieces; only an incomplete frame header may be left for the next call.
TEST_P(EchoSessionTest, RepliesTheSameWhenBytesArriveOneByOne) {
  EchoSession session(kMaxMessage);
  std::string out;
  std::string pending;
  for (char c : GetParam().input) {
    pending += c;
    pending.erase(0, session.feed(pending, out));
    if (!session.finished()) {
      ASSERT_LT(pending.size(), ws::kMaxHeaderBytes);
    }
  }
  EXPECT_EQ(server_frames(out), GetParam().replies);
  EXPECT_EQ(session.finished(), GetParam().finished);
}

INSTANTIATE_TEST_SUITE_P(Table, EchoSessionTest, testing::ValuesIn(kEchoCases),
                         [](const testing::TestParamInfo<EchoCase>& row) {
                           return std::string(row.param.name);
                         });

// Autobahn 6.4.x (strict): a text message is failed with 1007 as soon as its bytes so far cannot
// begin valid UTF-8, before the rest of it arrives. Each case is the pieces the peer sends, with
// a pause after each; the pieces after the one that makes the text invalid are never answered.
struct FailFastCase {
  const char* name;
  std::vector<std::string> pieces;
  size_t failing_piece;  // the piece after which the server must have closed with 1007
};
void PrintTo(const FailFastCase& c, std::ostream* os) { *os << c.name; }

// "κόσμε", then U+110000 spelled as four bytes (valid only as a prefix up to F4), then "edited".
const std::string kGreek = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";
const std::string kAboveMaximum = "\xf4\x90\x80\x80";
const std::string kEdited = "edited";

// One final text frame of the chops: its header, then each chop of its payload on its own.
std::vector<std::string> chopped_frame(const std::vector<std::string>& chops) {
  std::string payload;
  for (const auto& chop : chops) payload += chop;
  const std::string frame = client_frame(kText, payload);
  std::vector<std::string> pieces{frame.substr(0, frame.size() - payload.size())};
  size_t at = pieces[0].size();
  for (const auto& chop : chops) {
    pieces.push_back(frame.substr(at, chop.size()));
    at += chop.size();
  }
  return pieces;
}

const FailFastCase kFailFastCases[] = {
    {"Autobahn_6_4_1",
     {client_frame(kText, kGreek, false), client_frame(kMore, kAboveMaximum, false),
      client_frame(kMore, kEdited)},
     1},
    {"Autobahn_6_4_2",
     {client_frame(kText, kGreek + "\xf4", false), client_frame(kMore, "\x90", false),
      client_frame(kMore, "\x80\x80" + kEdited)},
     1},
    {"Autobahn_6_4_3", chopped_frame({kGreek, kAboveMaximum, kEdited}), 2},
    {"Autobahn_6_4_4", chopped_frame({kGreek + "\xf4", "\x90", "\x80\x80" + kEdited}), 2},
};

class EchoFailFastTest : public testing::TestWithParam<FailFastCase> {};

TEST_P(EchoFailFastTest, ClosesWith1007OnThePieceThatMakesTheTextInvalid) {
  const size_t large = 1024;  // the whole message fits: only UTF-8 can end it
  EchoSession session(large);
  std::string out;
  std::string pending;
  const FailFastCase& c = GetParam();
  for (size_t i = 0; i < c.pieces.size() && !session.finished(); ++i) {
    pending += c.pieces[i];
    pending.erase(0, session.feed(pending, out));
    EXPECT_EQ(session.finished(), i >= c.failing_piece) << "after piece " << i;
  }
  EXPECT_EQ(server_frames(out), (std::vector<Frame>{close_frame(1007)}));
}

INSTANTIATE_TEST_SUITE_P(Table, EchoFailFastTest, testing::ValuesIn(kFailFastCases),
                         [](const testing::TestParamInfo<FailFastCase>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(EchoSessionTest, KeepsAnIncompleteHeaderForTheNextCall) {
  EchoSession session(kMaxMessage);
  std::string out;
  const std::string frame = client_frame(kText, "hi");
  EXPECT_EQ(session.feed(frame.substr(0, 3), out), 0u);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(session.feed(frame, out), frame.size());
  EXPECT_EQ(server_frames(out), (std::vector<Frame>{{kText, "hi"}}));
}

TEST(EchoSessionTest, AnsweredCloseTellsWhoClosedFirst) {
  std::string out;
  EchoSession answering(kMaxMessage);
  answering.feed(client_frame(ws::Opcode::close, close_payload(1000)), out);
  EXPECT_TRUE(answering.finished());
  EXPECT_TRUE(answering.answered_close());
  EchoSession refusing(kMaxMessage);
  refusing.feed(client_frame(kMore, "x"), out);
  EXPECT_TRUE(refusing.finished());
  EXPECT_FALSE(refusing.answered_close());
}

TEST(EchoSessionTest, CloseSendsTheGivenCodeAndFinishes) {
  EchoSession session(kMaxMessage);
  std::string out;
  session.close(ws::kGoingAway, out);
  EXPECT_TRUE(session.finished());
  EXPECT_FALSE(session.answered_close());
  EXPECT_EQ(server_frames(out), (std::vector<Frame>{close_frame(1001)}));
}

}  // namespace
}  // namespace web

#include "common/websocket.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace common::ws {
namespace {

using namespace std::string_literals;

// Bytes from a list of values, so that tables can spell frames out.
std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

TEST(WebSocketTest, AcceptKeyMatchesRfc6455Sample) {
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

// ---- Frame headers: a table of named cases ----

struct HeaderCase {
  const char* name;
  std::string input;
  FrameRules rules;
  ParseState state;
  uint16_t close_code = 0;
  Opcode opcode = Opcode::continuation;
  bool fin = true;
  uint64_t length = 0;
  size_t size = 0;
};
void PrintTo(const HeaderCase& c, std::ostream* os) { *os << c.name; }

const FrameRules kServer{true, UINT64_MAX};
const FrameRules kClient{false, UINT64_MAX};
const std::string kMask = bytes({0x37, 0xfa, 0x21, 0x3d});

const HeaderCase kHeaderCases[] = {
    {"Empty", "", kServer, ParseState::incomplete},
    {"OneByte", bytes({0x81}), kServer, ParseState::incomplete},
    {"MaskedHello", bytes({0x81, 0x85}) + kMask, kServer, ParseState::complete, 0, Opcode::text,
     true, 5, 6},
    {"MaskMissingBytes", bytes({0x81, 0x85, 0x37}), kServer, ParseState::incomplete},
    {"UnmaskedHelloToClient", bytes({0x81, 0x05}), kClient, ParseState::complete, 0, Opcode::text,
     true, 5, 2},
    {"FirstFragment", bytes({0x01, 0x83}) + kMask, kServer, ParseState::complete, 0, Opcode::text,
     false, 3, 6},
    {"Continuation", bytes({0x80, 0x82}) + kMask, kServer, ParseState::complete, 0,
     Opcode::continuation, true, 2, 6},
    {"Length16", bytes({0x82, 0xFE, 0x01, 0x00}) + kMask, kServer, ParseState::complete, 0,
     Opcode::binary, true, 256, 8},
    {"Length16Partial", bytes({0x82, 0xFE, 0x01}), kServer, ParseState::incomplete},
    {"Length64", bytes({0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0}) + kMask, kServer, ParseState::complete,
     0, Opcode::binary, true, 65536, 14},
    {"EmptyClose", bytes({0x88, 0x80}) + kMask, kServer, ParseState::complete, 0, Opcode::close,
     true, 0, 6},
    {"Ping125", bytes({0x89, 0xFD}) + kMask, kServer, ParseState::complete, 0, Opcode::ping, true,
     125, 6},
    {"UnmaskedFromClient", bytes({0x81, 0x05}), kServer, ParseState::error, kProtocolError},
    {"MaskedFromServer", bytes({0x81, 0x85}) + kMask, kClient, ParseState::error, kProtocolError},
    {"Rsv1WithoutExtension", bytes({0xC1, 0x80}), kServer, ParseState::error, kProtocolError},
    {"Rsv3WithoutExtension", bytes({0x91, 0x80}), kServer, ParseState::error, kProtocolError},
    {"ReservedDataOpcode", bytes({0x83, 0x80}), kServer, ParseState::error, kProtocolError},
    {"ReservedControlOpcode", bytes({0x8B, 0x80}), kServer, ParseState::error, kProtocolError},
    {"FragmentedPing", bytes({0x09, 0x80}), kServer, ParseState::error, kProtocolError},
    {"Ping126", bytes({0x89, 0xFE, 0x00, 0x7E}) + kMask, kServer, ParseState::error,
     kProtocolError},
    {"CloseWith64BitLength", bytes({0x88, 0xFF}), kServer, ParseState::error, kProtocolError},
    {"Length64TopBit", bytes({0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0}) + kMask, kServer,
     ParseState::error, kProtocolError},
    {"OverMaxPayload", bytes({0x82, 0xFE, 0x01, 0x01}) + kMask, FrameRules{true, 256},
     ParseState::error, kMessageTooBig},
    {"AtMaxPayload", bytes({0x82, 0xFE, 0x01, 0x00}) + kMask, FrameRules{true, 256},
     ParseState::complete, 0, Opcode::binary, true, 256, 8},
    // Autobahn testsuite cases (github.com/crossbario/autobahn-testsuite, Apache-2.0) that a
    // header alone decides: the frame a case sends, and its expected close.
    {"Autobahn_2_4_Ping125", bytes({0x89, 0xFD}) + kMask, kServer, ParseState::complete, 0,
     Opcode::ping, true, 125, 6},
    {"Autobahn_2_5_Ping126", bytes({0x89, 0xFE, 0x00, 0x7E}) + kMask, kServer, ParseState::error,
     kProtocolError},
    {"Autobahn_3_1_Rsv1", bytes({0xC1, 0x85}) + kMask, kServer, ParseState::error, kProtocolError},
    {"Autobahn_3_2_Rsv2", bytes({0xA1, 0x85}) + kMask, kServer, ParseState::error, kProtocolError},
    {"Autobahn_3_3_Rsv12", bytes({0xE1, 0x85}) + kMask, kServer, ParseState::error, kProtocolError},
    {"Autobahn_3_4_Rsv3", bytes({0x91, 0x85}) + kMask, kServer, ParseState::error, kProtocolError},
    {"Autobahn_3_5_Rsv13Binary", bytes({0xD2, 0x80}) + kMask, kServer, ParseState::error,
     kProtocolError},
    {"Autobahn_3_6_Rsv23Ping", bytes({0xB9, 0x80}) + kMask, kServer, ParseState::error,
     kProtocolError},
    {"Autobahn_3_7_Rsv123Close", bytes({0xF8, 0x80}) + kMask, kServer, ParseState::error,
     kProtocolError},
    {"Autobahn_4_1_1_Opcode3", bytes({0x83, 0x80}) + kMask, kServer, ParseState::error,
     kProtocolError},
    {"Autobahn_4_1_5_Opcode7", bytes({0x87, 0x80}) + kMask, kServer, ParseState::error,
     kProtocolError},
    {"Autobahn_4_2_1_OpcodeB", bytes({0x8B, 0x80}) + kMask, kServer, ParseState::error,
     kProtocolError},
    {"Autobahn_4_2_5_OpcodeF", bytes({0x8F, 0x80}) + kMask, kServer, ParseState::error,
     kProtocolError},
    {"Autobahn_5_1_FragmentedPing", bytes({0x09, 0x80}) + kMask, kServer, ParseState::error,
     kProtocolError},
    {"Autobahn_5_2_FragmentedPong", bytes({0x0A, 0x80}) + kMask, kServer, ParseState::error,
     kProtocolError},
    {"Autobahn_7_3_6_CloseReason124", bytes({0x88, 0xFE, 0x00, 0x7E}) + kMask, kServer,
     ParseState::error, kProtocolError},
};

class FrameHeaderTest : public testing::TestWithParam<HeaderCase> {};

TEST_P(FrameHeaderTest, ParsesAsExpected) {
  const HeaderCase& c = GetParam();
  const HeaderParse parse = parse_frame_header(c.input, c.rules);
  ASSERT_EQ(parse.state, c.state);
  if (c.state == ParseState::error) {
    EXPECT_EQ(parse.close_code, c.close_code);
    EXPECT_FALSE(parse.reason.empty());
  }
  if (c.state != ParseState::complete) return;
  EXPECT_EQ(parse.header.opcode, c.opcode);
  EXPECT_EQ(parse.header.fin, c.fin);
  EXPECT_EQ(parse.header.payload_length, c.length);
  EXPECT_EQ(parse.header.size, c.size);
  EXPECT_EQ(parse.header.masked, c.rules.require_mask);
}

INSTANTIATE_TEST_SUITE_P(Table, FrameHeaderTest, testing::ValuesIn(kHeaderCases),
                         [](const testing::TestParamInfo<HeaderCase>& row) {
                           return std::string(row.param.name);
                         });

TEST(FrameHeaderPrefixTest, EveryPrefixOfACompleteHeaderNeedsMore) {
  for (const HeaderCase& c : kHeaderCases) {
    if (c.state != ParseState::complete) continue;
    for (size_t n = 0; n < c.size; ++n) {
      EXPECT_EQ(parse_frame_header(c.input.substr(0, n), c.rules).state, ParseState::incomplete)
          << c.name << ": prefix of " << n << " bytes";
    }
  }
}

// ---- Encoding, masking ----

TEST(WebSocketTest, EncodesRfc6455Examples) {
  std::string out;
  append_frame_header(out, Opcode::text, true, 5);
  EXPECT_EQ(out, bytes({0x81, 0x05}));
  out.clear();
  append_frame_header(out, Opcode::binary, true, 256);
  EXPECT_EQ(out, bytes({0x82, 0x7E, 0x01, 0x00}));
  out.clear();
  append_frame_header(out, Opcode::binary, true, 65536);
  EXPECT_EQ(out, bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}));
  out.clear();
  const std::array<uint8_t, 4> mask{0x37, 0xfa, 0x21, 0x3d};
  append_frame_header(out, Opcode::text, false, 5, &mask);
  EXPECT_EQ(out, bytes({0x01, 0x85}) + kMask);
}

TEST(WebSocketTest, EncodedHeadersParseBackAtEveryLengthBoundary) {
  const std::array<uint8_t, 4> mask{1, 2, 3, 4};
  for (uint64_t length : {0ull, 1ull, 125ull, 126ull, 65535ull, 65536ull, 1ull << 40}) {
    for (bool masked : {false, true}) {
      std::string out;
      append_frame_header(out, Opcode::binary, false, length, masked ? &mask : nullptr);
      const HeaderParse parse = parse_frame_header(out, FrameRules{masked, UINT64_MAX});
      ASSERT_EQ(parse.state, ParseState::complete) << length;
      EXPECT_EQ(parse.header.payload_length, length);
      EXPECT_EQ(parse.header.size, out.size());
      EXPECT_FALSE(parse.header.fin);
      if (masked) {
        EXPECT_EQ(parse.header.mask, mask);
      }
    }
  }
}

TEST(WebSocketTest, UnmasksRfc6455MaskedHello) {
  std::string payload = bytes({0x7f, 0x9f, 0x4d, 0x51, 0x58});
  const HeaderParse parse = parse_frame_header(bytes({0x81, 0x85}) + kMask, kServer);
  ASSERT_EQ(parse.state, ParseState::complete);
  apply_mask(payload.data(), payload.size(), parse.header.mask, 0);
  EXPECT_EQ(payload, "Hello");
}

TEST(WebSocketTest, MaskingPieceByPieceEqualsMaskingWhole) {
  const std::array<uint8_t, 4> mask{0xA1, 0x02, 0xF3, 0x44};
  const std::string original = "The quick brown fox jumps over the lazy dog";
  std::string whole = original;
  apply_mask(whole.data(), whole.size(), mask, 0);
  for (size_t split = 0; split <= original.size(); ++split) {
    std::string pieces = original;
    apply_mask(pieces.data(), split, mask, 0);
    apply_mask(pieces.data() + split, pieces.size() - split, mask, split);
    EXPECT_EQ(pieces, whole) << "split at " << split;
  }
}

// ---- Whole frames ----

class AppendFrameTest : public testing::TestWithParam<size_t> {};

TEST_P(AppendFrameTest, MaskedFrameParsesBackAndUnmasksToThePayload) {
  const std::string payload(GetParam(), 'a');
  const std::array<uint8_t, 4> mask{0x12, 0x34, 0x56, 0x78};
  std::string wire;
  append_frame(wire, Opcode::binary, payload, &mask);
  const FrameParse frame = parse_frame(wire, kServer);
  ASSERT_EQ(frame.state, ParseState::complete) << frame.reason;
  EXPECT_TRUE(frame.header.fin);
  EXPECT_EQ(frame.header.mask, mask);
  EXPECT_EQ(frame.size, wire.size());
  std::string unmasked(frame.payload);
  if (!payload.empty()) {
    EXPECT_NE(unmasked, payload);  // masked on the wire
  }
  apply_mask(unmasked.data(), unmasked.size(), mask, 0);
  EXPECT_EQ(unmasked, payload);
}

TEST_P(AppendFrameTest, UnmaskedFrameCarriesThePayloadAsIs) {
  const std::string payload(GetParam(), 'b');
  std::string wire;
  append_frame(wire, Opcode::text, payload);
  const FrameParse frame = parse_frame(wire, kClient);
  ASSERT_EQ(frame.state, ParseState::complete) << frame.reason;
  EXPECT_EQ(frame.header.opcode, Opcode::text);
  EXPECT_EQ(frame.payload, payload);
}

INSTANTIATE_TEST_SUITE_P(Sizes, AppendFrameTest,
                         testing::Values(0u, 1u, 125u, 126u, 65535u, 65536u),
                         [](const testing::TestParamInfo<size_t>& param_info) {
                           return "bytes_" + std::to_string(param_info.param);
                         });

TEST(ParseFrameTest, IsIncompleteUntilTheLastPayloadByteButKnowsItsHeaderEarly) {
  std::string wire;
  append_frame(wire, Opcode::binary, std::string(300, 'x'));
  for (size_t n = 0; n < wire.size(); ++n) {
    const FrameParse frame = parse_frame(wire.substr(0, n), kClient);
    EXPECT_EQ(frame.state, ParseState::incomplete) << n;
    EXPECT_EQ(frame.header.size, n >= 4 ? 4u : 0u) << n;
  }
  const std::string with_next = wire + "next";
  const FrameParse frame = parse_frame(with_next, kClient);
  ASSERT_EQ(frame.state, ParseState::complete);
  EXPECT_EQ(frame.size, wire.size());
  EXPECT_EQ(frame.payload, std::string(300, 'x'));
}

TEST(ParseFrameTest, RefusesWhatTheHeaderParserRefuses) {
  std::string masked;
  const std::array<uint8_t, 4> mask{1, 2, 3, 4};
  append_frame(masked, Opcode::binary, "abc", &mask);
  EXPECT_EQ(parse_frame(masked, kClient).close_code, kProtocolError);
  std::string big;
  append_frame(big, Opcode::binary, std::string(200, 'b'));
  EXPECT_EQ(parse_frame(big, FrameRules{false, 199}).state, ParseState::error);
  EXPECT_EQ(parse_frame(big, FrameRules{false, 199}).close_code, kMessageTooBig);
  EXPECT_EQ(parse_frame(big, FrameRules{false, 200}).state, ParseState::complete);
}

// ---- Close frames ----

TEST(WebSocketTest, AcceptsOnlyCloseCodesAPeerMaySend) {
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999}) {
    EXPECT_TRUE(valid_close_code(static_cast<uint16_t>(code))) << code;
  }
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000}) {
    EXPECT_FALSE(valid_close_code(static_cast<uint16_t>(code))) << code;
  }
}

// Autobahn cases 7.x: the payload of the close frame a case sends, and the answer it expects.
struct CloseCase {
  const char* name;
  std::string payload;
  std::string answer;  // the payload of the close frame sent back
  bool agreed;         // the answer agrees to the peer's close
};
void PrintTo(const CloseCase& c, std::ostream* os) { *os << c.name; }

CloseCase valid_code(const char* name, uint16_t code) {
  return {name, close_payload(code), close_payload(code), true};
}
CloseCase invalid_code(const char* name, uint16_t code) {
  return {name, close_payload(code), close_payload(kProtocolError), false};
}

const std::string kGreek = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";

const CloseCase kCloseCases[] = {
    {"Autobahn_7_3_1_Empty", "", "", true},
    {"Autobahn_7_3_2_OneByte", "a", close_payload(kProtocolError), false},
    {"Autobahn_7_3_3_CodeOnly", close_payload(1000), close_payload(1000), true},
    {"Autobahn_7_3_4_CodeAndReason", close_payload(1000, "Hello World!"), close_payload(1000),
     true},
    {"Autobahn_7_3_5_Reason123", close_payload(1000, std::string(123, '*')), close_payload(1000),
     true},
    {"Autobahn_7_5_1_ReasonNotUtf8",
     close_payload(1000, kGreek + "\xed\xa0\x80"
                                  "edited"),
     close_payload(kInvalidPayload), false},
    valid_code("Autobahn_7_7_1_Code1000", 1000),
    valid_code("Autobahn_7_7_2_Code1001", 1001),
    valid_code("Autobahn_7_7_3_Code1002", 1002),
    valid_code("Autobahn_7_7_4_Code1003", 1003),
    valid_code("Autobahn_7_7_5_Code1007", 1007),
    valid_code("Autobahn_7_7_6_Code1008", 1008),
    valid_code("Autobahn_7_7_7_Code1009", 1009),
    valid_code("Autobahn_7_7_8_Code1010", 1010),
    valid_code("Autobahn_7_7_9_Code1011", 1011),
    valid_code("Autobahn_7_7_10_Code3000", 3000),
    valid_code("Autobahn_7_7_11_Code3999", 3999),
    valid_code("Autobahn_7_7_12_Code4000", 4000),
    valid_code("Autobahn_7_7_13_Code4999", 4999),
    invalid_code("Autobahn_7_9_1_Code0", 0),
    invalid_code("Autobahn_7_9_2_Code999", 999),
    invalid_code("Autobahn_7_9_3_Code1004", 1004),
    invalid_code("Autobahn_7_9_4_Code1005", 1005),
    invalid_code("Autobahn_7_9_5_Code1006", 1006),
    invalid_code("Autobahn_7_9_6_Code1016", 1016),
    invalid_code("Autobahn_7_9_7_Code1100", 1100),
    invalid_code("Autobahn_7_9_8_Code2000", 2000),
    invalid_code("Autobahn_7_9_9_Code2999", 2999),
};

class CloseAnswerTest : public testing::TestWithParam<CloseCase> {};

TEST_P(CloseAnswerTest, AnswersAsAutobahnExpects) {
  std::string out;
  EXPECT_EQ(append_close_answer(out, GetParam().payload), GetParam().agreed);
  const FrameParse frame = parse_frame(out, kClient);
  ASSERT_EQ(frame.state, ParseState::complete);
  EXPECT_EQ(frame.size, out.size());
  EXPECT_EQ(frame.header.opcode, Opcode::close);
  EXPECT_EQ(frame.payload, GetParam().answer);
}

INSTANTIATE_TEST_SUITE_P(Table, CloseAnswerTest, testing::ValuesIn(kCloseCases),
                         [](const testing::TestParamInfo<CloseCase>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(ClosePayloadTest, ReadsBackTheCodeAndReasonWritten) {
  const std::string payload = close_payload(4001, "caf\xc3\xa9");
  const CloseParse close = parse_close_payload(payload);
  EXPECT_TRUE(close.valid);
  EXPECT_EQ(close.code, 4001);
  EXPECT_EQ(close.reason, "caf\xc3\xa9");
  EXPECT_EQ(parse_close_payload("").code, kNoStatus);
}

// ---- The opening handshake ----

struct HandshakeCase {
  const char* name;
  std::string request;
  int status;
};
void PrintTo(const HandshakeCase& c, std::ostream* os) { *os << c.name; }

std::string handshake(std::string_view first_line, std::string_view fields) {
  return std::string(first_line) + "\r\nHost: a\r\n" + std::string(fields) + "\r\n";
}
const std::string kUpgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
const std::string kKey = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
const std::string kVersion = "Sec-WebSocket-Version: 13\r\n";

const HandshakeCase kHandshakeCases[] = {
    {"Valid", handshake("GET /ws HTTP/1.1", kUpgrade + kKey + kVersion), 101},
    {"TokensInLists",
     handshake("GET /ws HTTP/1.1",
               "Upgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n" + kKey + kVersion),
     101},
    {"Post", handshake("POST /ws HTTP/1.1", kUpgrade + kKey + kVersion), 400},
    {"Http10", handshake("GET /ws HTTP/1.0", kUpgrade + kKey + kVersion), 400},
    {"NoUpgrade", handshake("GET /ws HTTP/1.1", "Connection: Upgrade\r\n" + kKey + kVersion), 400},
    {"NoConnectionUpgrade",
     handshake("GET /ws HTTP/1.1", "Upgrade: websocket\r\n" + kKey + kVersion), 400},
    {"NoKey", handshake("GET /ws HTTP/1.1", kUpgrade + kVersion), 400},
    {"ShortKey",
     handshake("GET /ws HTTP/1.1", kUpgrade + "Sec-WebSocket-Key: dGhlIHNhbXBsZQ==\r\n" + kVersion),
     400},
    {"KeyNotBase64",
     handshake("GET /ws HTTP/1.1",
               kUpgrade + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j*Q==\r\n" + kVersion),
     400},
    {"TwoKeys", handshake("GET /ws HTTP/1.1", kUpgrade + kKey + kKey + kVersion), 400},
    {"NoVersion", handshake("GET /ws HTTP/1.1", kUpgrade + kKey), 400},
    {"OtherVersion",
     handshake("GET /ws HTTP/1.1", kUpgrade + kKey + "Sec-WebSocket-Version: 8\r\n"), 426},
};

class HandshakeTest : public testing::TestWithParam<HandshakeCase> {};

TEST_P(HandshakeTest, ChecksTheOpeningHandshake) {
  RequestHead head;
  const ParseResult parsed = parse_request_head(GetParam().request, HttpLimits{}, head);
  ASSERT_EQ(parsed.state, ParseState::complete) << parsed.reason;
  const HandshakeCheck check = check_handshake(head);
  EXPECT_EQ(check.status, GetParam().status) << check.reason;
  if (check.status == 101) {
    EXPECT_EQ(check.key, "dGhlIHNhbXBsZSBub25jZQ==");
  } else {
    EXPECT_FALSE(check.reason.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Table, HandshakeTest, testing::ValuesIn(kHandshakeCases),
                         [](const testing::TestParamInfo<HandshakeCase>& row) {
                           return std::string(row.param.name);
                         });

}  // namespace
}  // namespace common::ws

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
    {"UnmaskedHelloToClient", bytes({0x81, 0x05}), kClient, ParseState::complete, 0,
     Opcode::text, true, 5, 2},
    {"FirstFragment", bytes({0x01, 0x83}) + kMask, kServer, ParseState::complete, 0, Opcode::text,
     false, 3, 6},
    {"Continuation", bytes({0x80, 0x82}) + kMask, kServer, ParseState::complete, 0,
     Opcode::continuation, true, 2, 6},
    {"Length16", bytes({0x82, 0xFE, 0x01, 0x00}) + kMask, kServer, ParseState::complete, 0,
     Opcode::binary, true, 256, 8},
    {"Length16Partial", bytes({0x82, 0xFE, 0x01}), kServer, ParseState::incomplete},
    {"Length64", bytes({0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0}) + kMask, kServer,
     ParseState::complete, 0, Opcode::binary, true, 65536, 14},
    {"EmptyClose", bytes({0x88, 0x80}) + kMask, kServer, ParseState::complete, 0, Opcode::close,
     true, 0, 6},
    {"Ping125", bytes({0x89, 0xFD}) + kMask, kServer, ParseState::complete, 0, Opcode::ping,
     true, 125, 6},
    {"UnmaskedFromClient", bytes({0x81, 0x05}), kServer, ParseState::error, kProtocolError},
    {"MaskedFromServer", bytes({0x81, 0x85}) + kMask, kClient, ParseState::error,
     kProtocolError},
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

// ---- UTF-8 and close codes ----

struct Utf8Case {
  const char* name;
  std::string text;
  bool valid;
};
void PrintTo(const Utf8Case& c, std::ostream* os) { *os << c.name; }

const Utf8Case kUtf8Cases[] = {
    {"Empty", "", true},
    {"Ascii", "hello", true},
    {"TwoBytes", "caf\xc3\xa9", true},
    {"ThreeBytes", "\xe2\x82\xac", true},
    {"FourBytes", "\xf0\x9f\x98\x80", true},
    {"LargestCodePoint", "\xf4\x8f\xbf\xbf", true},
    {"LoneContinuation", "\x80", false},
    {"TruncatedSequence", "\xe2\x82", false},
    {"OverlongSlash", "\xc0\xaf", false},
    {"OverlongThreeBytes", "\xe0\x80\xaf", false},
    {"Surrogate", "\xed\xa0\x80", false},
    {"AboveMaximum", "\xf4\x90\x80\x80", false},
    {"InvalidLeadByte", "\xff", false},
    {"BadContinuation", "\xc3\x28", false},
};

class Utf8Test : public testing::TestWithParam<Utf8Case> {};

TEST_P(Utf8Test, ValidatesStrictly) {
  EXPECT_EQ(valid_utf8(GetParam().text), GetParam().valid);
}

INSTANTIATE_TEST_SUITE_P(Table, Utf8Test, testing::ValuesIn(kUtf8Cases),
                         [](const testing::TestParamInfo<Utf8Case>& row) {
                           return std::string(row.param.name);
                         });

TEST(WebSocketTest, AcceptsOnlyCloseCodesAPeerMaySend) {
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999}) {
    EXPECT_TRUE(valid_close_code(static_cast<uint16_t>(code))) << code;
  }
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000}) {
    EXPECT_FALSE(valid_close_code(static_cast<uint16_t>(code))) << code;
  }
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

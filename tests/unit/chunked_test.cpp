#include "common/chunked.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace common {
namespace {

using namespace std::string_view_literals;

struct Decoded {
  std::string body;
  size_t consumed = 0;  // over all pieces
  bool done = false;
  HttpError error = HttpError::none;
};

// Feeds the pieces in order, each until it is used up or the decoder stops, the way a
// connection loop feeds what each read() returned.
Decoded decode(ChunkedDecoder& decoder, const std::vector<std::string_view>& pieces) {
  Decoded out;
  for (const std::string_view piece : pieces) {
    size_t used = 0;
    while (used < piece.size()) {
      const ChunkedDecoder::Step step = decoder.feed(piece.substr(used));
      used += step.consumed;
      out.body += step.data;
      out.done = step.done;
      out.error = step.error;
      if (step.done || step.error != HttpError::none) {
        out.consumed += used;
        return out;
      }
      EXPECT_GT(step.consumed, 0u) << "no progress without done or error";
      if (step.consumed == 0) break;
    }
    out.consumed += used;
  }
  return out;
}

Decoded decode(std::string_view input, ChunkedLimits limits = {}) {
  ChunkedDecoder decoder(limits);
  return decode(decoder, {input});
}

// ---- Valid bodies ----

struct ValidCase {
  const char* name;
  std::string_view input;
  std::string_view body;
  size_t left_over = 0;  // bytes of a pipelined message after the body, never consumed

  size_t consumed() const { return input.size() - left_over; }
};
void PrintTo(const ValidCase& c, std::ostream* os) { *os << c.name; }

const ValidCase kValidCases[] = {
    {"EmptyBody", "0\r\n\r\n", ""},
    {"OneChunk", "5\r\nhello\r\n0\r\n\r\n", "hello"},
    {"TwoChunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world"},
    {"UppercaseHex", "A\r\n0123456789\r\n0\r\n\r\n", "0123456789"},
    {"LowercaseHex", "a\r\n0123456789\r\n0\r\n\r\n", "0123456789"},
    {"SixteenHexDigits", "0000000000000003\r\nabc\r\n0\r\n\r\n", "abc"},
    {"Extension", "3;name=value\r\nabc\r\n0;last\r\n\r\n", "abc"},
    {"ExtensionWithSpaces", "3 ; a = b\r\nabc\r\n0\r\n\r\n", "abc"},
    {"QuotedExtension", "3;a=\"x y\"\r\nabc\r\n0\r\n\r\n", "abc"},
    {"QuotedPairInExtension", "3;a=\"x\\\"y\"\r\nabc\r\n0\r\n\r\n", "abc"},
    {"TwoExtensions", "3;a;b=c\r\nabc\r\n0\r\n\r\n", "abc"},
    {"Trailers", "3\r\nabc\r\n0\r\nX-Sum: 1\r\nY: 2\r\n\r\n", "abc"},
    {"CrlfInsideData", "4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n"},
    {"PipelinedMessageLeftAlone", "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n", "abc", 16},
};

class ChunkedValidTest : public testing::TestWithParam<ValidCase> {};

TEST_P(ChunkedValidTest, DecodesInOnePiece) {
  const ValidCase& c = GetParam();
  const Decoded d = decode(c.input);
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.error, HttpError::none);
  EXPECT_EQ(d.body, c.body);
  EXPECT_EQ(d.consumed, c.consumed());
}

TEST_P(ChunkedValidTest, DecodesTheSameWhenSplitAtEveryOffset) {
  const ValidCase& c = GetParam();
  for (size_t at = 0; at <= c.input.size(); ++at) {
    ChunkedDecoder decoder;
    const Decoded d = decode(decoder, {c.input.substr(0, at), c.input.substr(at)});
    EXPECT_TRUE(d.done) << "split at " << at;
    EXPECT_EQ(d.body, c.body) << "split at " << at;
    EXPECT_EQ(d.consumed, c.consumed()) << "split at " << at;
    EXPECT_EQ(decoder.body_bytes(), c.body.size());
  }
}

TEST_P(ChunkedValidTest, DecodesTheSameOneByteAtATime) {
  const ValidCase& c = GetParam();
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < c.input.size(); ++i) bytes.push_back(c.input.substr(i, 1));
  ChunkedDecoder decoder;
  const Decoded d = decode(decoder, bytes);
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.body, c.body);
  EXPECT_EQ(d.consumed, c.consumed());
}

struct CaseName {
  template <class Case>
  std::string operator()(const testing::TestParamInfo<Case>& row) const {
    return row.param.name;
  }
};

INSTANTIATE_TEST_SUITE_P(ChunkedTest, ChunkedValidTest, testing::ValuesIn(kValidCases), CaseName{});

// ---- Refused bodies ----

struct RejectCase {
  const char* name;
  std::string_view input;
  HttpError error;
  ChunkedLimits limits = {};
};
void PrintTo(const RejectCase& c, std::ostream* os) { *os << c.name; }

constexpr auto k400 = HttpError::bad_request;

const RejectCase kRejectCases[] = {
    {"EmptySize", "\r\nabc\r\n0\r\n\r\n", k400},
    {"NonHexSize", "g\r\n", k400},
    {"HexPrefix", "0x3\r\nabc\r\n0\r\n\r\n", k400},
    {"NegativeSize", "-3\r\nabc\r\n0\r\n\r\n", k400},
    {"TrailingSpaceWithoutExtension", "3 \r\nabc\r\n0\r\n\r\n", k400},
    {"LeadingSpace", " 3\r\nabc\r\n0\r\n\r\n", k400},
    {"SeventeenHexDigits", "00000000000000003\r\nabc\r\n0\r\n\r\n", k400},
    {"OverflowingSize", "10000000000000000\r\n", k400},
    {"ControlCharInExtension", "3;a\x01\r\nabc\r\n0\r\n\r\n", k400},
    {"ExtensionWithoutName", "2;\r\nab\r\n0\r\n\r\n", k400},
    {"ExtensionWithEmptyName", "5;=x\r\nhello\r\n0\r\n\r\n", k400},
    {"ExtensionWithEmptyValue", "3;a=\r\nabc\r\n0\r\n\r\n", k400},
    {"UnclosedQuotedExtension", "3;a=\"x\r\nabc\r\n0\r\n\r\n", k400},
    {"QuoteInsideTokenValue", "3;a=b\"c\r\nabc\r\n0\r\n\r\n", k400},
    {"SpaceInsideTokenValue", "3;a=b c\r\nabc\r\n0\r\n\r\n", k400},
    {"TwoSemicolons", "3;;a\r\nabc\r\n0\r\n\r\n", k400},
    {"BareLfAfterSize", "3\nabc\r\n0\r\n\r\n", k400},
    {"CrWithoutLfAfterSize", "3\rabc\r\n0\r\n\r\n", k400},
    {"DataLongerThanSize", "3\r\nabcd\r\n0\r\n\r\n", k400},
    {"DataShorterThanSize", "3\r\nab\r\n0\r\n\r\n", k400},
    {"BareLfAfterData", "3\r\nabc\n0\r\n\r\n", k400},
    {"MissingCrlfAfterData", "3\r\nabc0\r\n\r\n", k400},
    {"BareLfEndingTrailers", "0\r\n\n", k400},
    {"BareLfAfterTrailer", "0\r\nX: 1\n\r\n", k400},
    {"FoldedTrailer", "0\r\nX: 1\r\n 2\r\n\r\n", k400},
    {"NulInTrailer", "0\r\nX: \0\r\n\r\n"sv, k400},
    {"SizeLineOverLimit",
     "3;aaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nabc\r\n0\r\n\r\n",
     k400,
     {.max_line = 16}},
    {"TrailersOverLimit",
     "0\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
     HttpError::header_too_large,
     {.max_trailer_bytes = 16}},
    {"ManyTrailersOverLimit",
     "0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
     HttpError::header_too_large,
     {.max_trailer_bytes = 16}},
    {"BodyOverLimit",
     "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
     HttpError::payload_too_large,
     {.max_body = 4}},
    {"HugeChunkOverLimit",
     "ffffffffffffffff\r\n",
     HttpError::payload_too_large,
     {.max_body = 1000}},
};

class ChunkedRejectTest : public testing::TestWithParam<RejectCase> {};

TEST_P(ChunkedRejectTest, RefusesInOnePiece) {
  const RejectCase& c = GetParam();
  const Decoded d = decode(c.input, c.limits);
  EXPECT_FALSE(d.done);
  EXPECT_EQ(d.error, c.error);
}

TEST_P(ChunkedRejectTest, RefusesTheSameWhenSplitAtEveryOffset) {
  const RejectCase& c = GetParam();
  for (size_t at = 0; at <= c.input.size(); ++at) {
    ChunkedDecoder decoder(c.limits);
    const Decoded d = decode(decoder, {c.input.substr(0, at), c.input.substr(at)});
    EXPECT_EQ(d.error, c.error) << "split at " << at;
  }
}

INSTANTIATE_TEST_SUITE_P(ChunkedTest, ChunkedRejectTest, testing::ValuesIn(kRejectCases),
                         CaseName{});

// ---- Contract details ----

TEST(ChunkedTest, ReturnsOneRunOfBodyBytesPerCall) {
  ChunkedDecoder decoder;
  const std::string_view input = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  ChunkedDecoder::Step step = decoder.feed(input);
  EXPECT_EQ(step.data, "abc");
  EXPECT_EQ(step.consumed, 6u);
  step = decoder.feed(input.substr(6));
  EXPECT_EQ(step.data, "de");
  EXPECT_EQ(step.consumed, 7u);
  EXPECT_FALSE(step.done);
  step = decoder.feed(input.substr(13));
  EXPECT_TRUE(step.data.empty());
  EXPECT_TRUE(step.done);
  EXPECT_EQ(step.consumed, 7u);
}

TEST(ChunkedTest, DataIsAViewIntoTheInput) {
  ChunkedDecoder decoder;
  const std::string input = "3\r\nabc\r\n0\r\n\r\n";
  const ChunkedDecoder::Step step = decoder.feed(input);
  EXPECT_EQ(step.data.data(), input.data() + 3);
}

TEST(ChunkedTest, ChunkSplitAcrossInputsIsDeliveredInParts) {
  ChunkedDecoder decoder;
  ChunkedDecoder::Step step = decoder.feed("a\r\n01234");
  EXPECT_EQ(step.data, "01234");
  step = decoder.feed("56789\r\n0\r\n\r\n");
  EXPECT_EQ(step.data, "56789");
  EXPECT_EQ(decoder.body_bytes(), 10u);
}

TEST(ChunkedTest, AfterDoneNothingMoreIsConsumed) {
  ChunkedDecoder decoder;
  ASSERT_TRUE(decode(decoder, {"0\r\n\r\n"}).done);
  const ChunkedDecoder::Step step = decoder.feed("5\r\nhello\r\n");
  EXPECT_TRUE(step.done);
  EXPECT_EQ(step.consumed, 0u);
  EXPECT_TRUE(step.data.empty());
}

TEST(ChunkedTest, AfterAnErrorTheErrorRepeats) {
  ChunkedDecoder decoder;
  const ChunkedDecoder::Step first = decoder.feed("zz\r\n");
  ASSERT_EQ(first.error, HttpError::bad_request);
  EXPECT_FALSE(first.reason.empty());
  const ChunkedDecoder::Step again = decoder.feed("0\r\n\r\n");
  EXPECT_EQ(again.error, HttpError::bad_request);
  EXPECT_EQ(again.reason, first.reason);
  EXPECT_EQ(again.consumed, 0u);
}

TEST(ChunkedTest, BodyExactlyAtTheLimitIsAccepted) {
  const Decoded d = decode("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", {.max_body = 5});
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.body, "abcde");
}

TEST(ChunkedTest, SizeLineExactlyAtTheLimitIsAccepted) {
  const std::string line(16, '0');  // 16 hex digits, size 0
  const Decoded d = decode(line + "\r\n\r\n", {.max_line = 16});
  EXPECT_TRUE(d.done);
  EXPECT_EQ(decode("3;" + std::string(15, 'x') + "\r\nabc\r\n0\r\n\r\n", {.max_line = 16}).error,
            HttpError::bad_request);
}

// A peer streaming an endless size line is refused once the line passes the limit.
TEST(ChunkedTest, EndlessSizeLineIsRefusedBeforeItEnds) {
  ChunkedDecoder decoder({.max_line = 64});
  const std::string junk(40, ';');
  EXPECT_EQ(decoder.feed("1" + junk).error, HttpError::none);
  EXPECT_EQ(decoder.feed(junk).error, HttpError::bad_request);
}

TEST(ChunkedTest, ChunkHeaderIsLowercaseHex) {
  EXPECT_EQ(chunk_header(0), "0\r\n");
  EXPECT_EQ(chunk_header(10), "a\r\n");
  EXPECT_EQ(chunk_header(26), "1a\r\n");
  EXPECT_EQ(chunk_header(4095), "fff\r\n");
  EXPECT_EQ(chunk_header(SIZE_MAX), "ffffffffffffffff\r\n");
}

// What chunk_header() and kLastChunk frame, the decoder restores, however the bytes arrive.
TEST(ChunkedTest, EncodedBodyRoundTripsThroughRandomSplits) {
  std::mt19937 rng(7);
  std::string body;
  std::string wire;
  for (int chunk = 0; chunk < 50; ++chunk) {
    const size_t size = std::uniform_int_distribution<size_t>(1, 300)(rng);
    std::string data(size, '\0');
    for (char& ch : data) ch = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
    body += data;
    wire += chunk_header(size) + data + "\r\n";
  }
  wire += kLastChunk;
  for (int round = 0; round < 20; ++round) {
    std::vector<std::string_view> pieces;
    for (size_t at = 0; at < wire.size();) {
      const size_t n = std::uniform_int_distribution<size_t>(1, 40)(rng);
      pieces.push_back(std::string_view(wire).substr(at, n));
      at += n;
    }
    ChunkedDecoder decoder;
    const Decoded d = decode(decoder, pieces);
    ASSERT_TRUE(d.done);
    EXPECT_EQ(d.body, body);
    EXPECT_EQ(d.consumed, wire.size());
  }
}

}  // namespace
}  // namespace common

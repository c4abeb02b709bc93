#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "tests/unit/param_name.hpp"
#include "web_server/replication/frame.hpp"
#include "web_server/replication/message.hpp"

namespace web::replication {
namespace {

using common::ParseState;
using namespace std::string_literals;

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

std::string frame(FrameType type, std::string_view payload) {
  std::string out;
  append_frame(out, type, payload);
  return out;
}

// ---- The frame codec: a table of named cases ----

struct FrameCase {
  const char* name;
  std::string input;
  ParseState state;
  FrameType type = FrameType::progress;
  std::string payload;
  size_t consumed = 0;
};
void PrintTo(const FrameCase& c, std::ostream* os) { *os << c.name; }

FrameCase needs_more(const char* name, std::string input) {
  return {name, std::move(input), ParseState::incomplete, FrameType::progress, "", 0};
}
FrameCase refused(const char* name, std::string input) {
  return {name, std::move(input), ParseState::error, FrameType::progress, "", 0};
}

class FrameTableTest : public testing::TestWithParam<FrameCase> {};

TEST_P(FrameTableTest, ParsesAsExpected) {
  const FrameCase& c = GetParam();
  const FrameParse r = parse_frame(c.input, 64);
  ASSERT_EQ(r.state, c.state);
  if (r.state == ParseState::error) {
    EXPECT_FALSE(r.reason.empty());
  }
  if (r.state != ParseState::complete) return;
  EXPECT_EQ(r.frame.type, c.type);
  EXPECT_EQ(r.frame.payload, c.payload);
  EXPECT_EQ(r.consumed, c.consumed);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FrameTableTest,
    testing::Values(
        needs_more("empty", ""), needs_more("length only", bytes({0, 0, 0, 3})),
        FrameCase{"empty progress", bytes({0, 0, 0, 0, 6}), ParseState::complete,
                  FrameType::progress, "", 5},
        FrameCase{"ack with payload", bytes({0, 0, 0, 2, 4, 'h', 'i'}), ParseState::complete,
                  FrameType::ack, "hi", 7},
        FrameCase{"trailing bytes are the next frame's", bytes({0, 0, 0, 1, 5, 'x', 0, 0}),
                  ParseState::complete, FrameType::change, "x", 6},
        needs_more("payload short by one", bytes({0, 0, 0, 2, 5, 'x'})),
        refused("type zero", bytes({0, 0, 0, 0, 0})),
        refused("type past the last", bytes({0, 0, 0, 0, 8})),
        refused("type 255", bytes({0, 0, 0, 0, 255})),
        needs_more("length at the maximum", bytes({0, 0, 0, 64, 5})),
        refused("length one over", bytes({0, 0, 0, 65, 5})),
        refused("oversized is refused before the type byte", bytes({0x7f, 0xff, 0xff, 0xff})),
        refused("high bit of the length", bytes({0x80, 0, 0, 0, 5}))),
    [](const testing::TestParamInfo<FrameCase>& param_info) {
      return test_support::param_name(param_info.param.name);
    });

TEST(FrameTest, EveryPrefixOfAFrameNeedsMore) {
  const std::string whole = frame(FrameType::change, "some payload bytes");
  for (size_t n = 0; n < whole.size(); ++n) {
    EXPECT_EQ(parse_frame(whole.substr(0, n)).state, ParseState::incomplete) << n;
  }
  EXPECT_EQ(parse_frame(whole).state, ParseState::complete);
}

TEST(FrameTest, DefaultMaximumFitsTheLargestChange) {
  store::Change change{
      1, 1, {1, 1}, std::string(store::kMaxKeyBytes, 'k'), std::string(store::kMaxValueBytes, 'v')};
  const std::string big = frame(FrameType::change, encode(change));
  EXPECT_EQ(parse_frame(big).state, ParseState::complete);
  EXPECT_EQ(parse_frame(bytes({0, 0x20, 0, 1, 5})).state, ParseState::error);  // 2 MiB + 1
}

// A stream cut at every byte offset parses into the same frames.
TEST(FrameTest, SplitAtEveryOffsetYieldsTheSameFrames) {
  const std::string stream = frame(FrameType::hello, "abc") + frame(FrameType::progress, "") +
                             frame(FrameType::change, std::string(40, 'z'));
  for (size_t split = 0; split <= stream.size(); ++split) {
    std::string buffer;
    std::vector<std::pair<FrameType, std::string>> seen;
    for (const std::string_view piece :
         {std::string_view(stream).substr(0, split), std::string_view(stream).substr(split)}) {
      buffer += piece;
      for (FrameParse r = parse_frame(buffer); r.state == ParseState::complete;
           r = parse_frame(buffer)) {
        seen.emplace_back(r.frame.type, std::string(r.frame.payload));
        buffer.erase(0, r.consumed);
      }
    }
    ASSERT_EQ(seen.size(), 3u) << split;
    EXPECT_EQ(seen[0], std::make_pair(FrameType::hello, "abc"s)) << split;
    EXPECT_EQ(seen[1], std::make_pair(FrameType::progress, ""s)) << split;
    EXPECT_EQ(seen[2], std::make_pair(FrameType::change, std::string(40, 'z'))) << split;
    EXPECT_TRUE(buffer.empty());
  }
}

// ---- Payloads ----

TEST(MessageTest, ChangesRoundTrip) {
  const store::Change put{0xabcdef, 42, {123456789, 0xabcdef}, "users/1", "value\0with nul"s};
  const store::Change removal{7, 1, {99, 7}, "k", std::nullopt};
  for (const auto& change : {put, removal}) {
    const auto back = decode_change(encode(change));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->origin, change.origin);
    EXPECT_EQ(back->seq, change.seq);
    EXPECT_EQ(back->version, change.version);
    EXPECT_EQ(back->key, change.key);
    EXPECT_EQ(back->value, change.value);
  }
}

TEST(MessageTest, MalformedChangesAreRefused) {
  const std::string good = encode(store::Change{5, 3, {9, 5}, "key", "v"});
  EXPECT_FALSE(decode_change(good.substr(0, good.size() - 1))) << "truncated";
  EXPECT_FALSE(decode_change(good + "x")) << "trailing byte";
  std::string no_key = encode(store::Change{5, 3, {9, 5}, "", "v"});
  EXPECT_FALSE(decode_change(no_key)) << "empty key";
  EXPECT_FALSE(decode_change(encode(store::Change{5, 0, {9, 5}, "key", "v"}))) << "seq 0";
  std::string bad_flag = good;
  bad_flag[8 + 8 + 8 + 2 + 3] = 2;
  EXPECT_FALSE(decode_change(bad_flag)) << "value flag 2";
  EXPECT_FALSE(decode_change(encode(store::Change{5, 3, {9, 5}, std::string(257, 'k'), "v"})))
      << "key too long";
  EXPECT_FALSE(decode_change(""));
}

TEST(MessageTest, SummariesRoundTripAndRefuseBadCounts) {
  const store::Summary summary{{1, 10}, {0xffffffffffffffff, 3}};
  EXPECT_EQ(decode_summary(encode(summary)), summary);
  EXPECT_EQ(decode_summary(encode(store::Summary{})), store::Summary{});
  const std::string good = encode(summary);
  EXPECT_FALSE(decode_summary(good.substr(0, good.size() - 1)));
  EXPECT_FALSE(decode_summary(good + "x"));
  EXPECT_FALSE(decode_summary(bytes({0xff, 0xff, 0xff, 0xff})));
  std::string duplicate = encode(store::Summary{{1, 1}, {2, 2}});
  duplicate.replace(4 + 16, 8, duplicate.substr(4, 8));  // the second origin is the first again
  EXPECT_FALSE(decode_summary(duplicate));
}

TEST(MessageTest, ProgressRoundTripsAndRefusesBadCountsAndOrigins) {
  const Progress progress{{{1, 10, 1000}, {0xffffffffffffffff, 0, 7}}, {{5, 9}, {6, 1}}};
  EXPECT_EQ(decode_progress(encode(progress)), progress);
  EXPECT_EQ(decode_progress(encode(Progress{})), Progress{});
  const std::string good = encode(progress);
  EXPECT_FALSE(decode_progress(good.substr(0, good.size() - 1))) << "truncated";
  EXPECT_FALSE(decode_progress(good + "x")) << "trailing byte";
  EXPECT_FALSE(decode_progress(bytes({0xff, 0xff, 0xff, 0xff}))) << "count past the payload";
  EXPECT_FALSE(decode_progress(bytes({0, 0, 0, 0}))) << "no retired list";
  EXPECT_FALSE(decode_progress(encode(Progress{{{0, 1, 1}}, {}}))) << "origin 0";
  EXPECT_FALSE(decode_progress(encode(Progress{{{3, 1, 1}, {3, 2, 2}}, {}}))) << "one origin twice";
  EXPECT_FALSE(decode_progress(encode(Progress{{}, {{0, 4}}}))) << "retired origin 0";
}

TEST(MessageTest, SkipsRoundTripAndRefuseZeroesAndBadSizes) {
  const auto back = decode_skip(encode(Skip{0xabc, 99}));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->origin, 0xabcu);
  EXPECT_EQ(back->upto, 99u);
  EXPECT_FALSE(decode_skip(encode(Skip{0, 5}))) << "origin 0";
  EXPECT_FALSE(decode_skip(encode(Skip{5, 0}))) << "upto 0";
  EXPECT_FALSE(decode_skip(encode(Skip{5, 5}) + "x")) << "trailing byte";
  EXPECT_FALSE(decode_skip(encode(Skip{5, 5}).substr(1))) << "truncated";
}

TEST(MessageTest, HandshakePayloadsRoundTripAndHaveExactSizes) {
  Hello hello{77, {}};
  hello.nonce[0] = 1;
  const auto back = decode_hello(encode(hello));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->origin, 77u);
  EXPECT_EQ(back->nonce, hello.nonce);
  EXPECT_FALSE(decode_hello(encode(hello) + "x"));
  Challenge challenge{78, {}, {}};
  challenge.proof[31] = 9;
  EXPECT_EQ(decode_challenge(encode(challenge))->proof, challenge.proof);
  EXPECT_FALSE(decode_challenge(encode(challenge).substr(1)));
  EXPECT_FALSE(decode_proof(std::string(31, 'p')));
  EXPECT_TRUE(decode_proof(std::string(32, 'p')));
}

}  // namespace
}  // namespace web::replication

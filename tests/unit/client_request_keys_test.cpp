#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/request_keys.hpp"

namespace {

using client::RequestKeys;

struct Case {
  const char* name;
  const char* request;
  uint64_t key_space;                 // 0: no wrap
  std::vector<std::string> expected;  // the requests of the first calls to next(), in order
};

const Case kCases[] = {
    {"counts_from_zero",
     "PUT /kv/bench-{n} HTTP/1.1\r\n\r\n",
     0,
     {"PUT /kv/bench-0 HTTP/1.1\r\n\r\n", "PUT /kv/bench-1 HTTP/1.1\r\n\r\n",
      "PUT /kv/bench-2 HTTP/1.1\r\n\r\n"}},
    {"wraps_at_the_key_space",
     "GET /k{n} HTTP/1.1\r\n\r\n",
     2,
     {"GET /k0 HTTP/1.1\r\n\r\n", "GET /k1 HTTP/1.1\r\n\r\n", "GET /k0 HTTP/1.1\r\n\r\n",
      "GET /k1 HTTP/1.1\r\n\r\n"}},
    {"key_space_of_one_is_one_key",
     "GET /k{n} HTTP/1.1\r\n\r\n",
     1,
     {"GET /k0 HTTP/1.1\r\n\r\n", "GET /k0 HTTP/1.1\r\n\r\n"}},
    {"every_placeholder_takes_the_same_number",
     "GET /{n}/x?v={n} HTTP/1.1\r\n\r\n",
     0,
     {"GET /0/x?v=0 HTTP/1.1\r\n\r\n", "GET /1/x?v=1 HTTP/1.1\r\n\r\n"}},
    {"at_the_start_and_end_of_the_target",
     "GET {n} HTTP/1.1\r\n\r\n",
     0,
     {"GET 0 HTTP/1.1\r\n\r\n", "GET 1 HTTP/1.1\r\n\r\n"}},
    {"placeholder_in_the_body_stays",
     "PUT /k{n} HTTP/1.1\r\nContent-Length: 3\r\n\r\n{n}",
     0,
     {"PUT /k0 HTTP/1.1\r\nContent-Length: 3\r\n\r\n{n}",
      "PUT /k1 HTTP/1.1\r\nContent-Length: 3\r\n\r\n{n}"}},
};

class ClientRequestKeysTest : public ::testing::TestWithParam<Case> {};

TEST_P(ClientRequestKeysTest, EachRequestTakesTheNextNumber) {
  const Case& c = GetParam();
  const auto keys = RequestKeys::of(c.request, c.key_space);
  ASSERT_NE(keys, nullptr);
  std::string out;
  for (const std::string& expected : c.expected) {
    keys->next(out);
    EXPECT_EQ(out, expected);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, ClientRequestKeysTest, ::testing::ValuesIn(kCases),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

struct Plain {
  const char* name;
  const char* request;
};

const Plain kPlain[] = {
    {"no_placeholder", "GET /kv/bench HTTP/1.1\r\n\r\n"},
    {"only_in_a_header", "GET / HTTP/1.1\r\nX-Key: {n}\r\n\r\n"},
    {"only_in_the_body", "PUT /k HTTP/1.1\r\nContent-Length: 3\r\n\r\n{n}"},
    {"braces_without_n", "GET /{x}/{} HTTP/1.1\r\n\r\n"},
};

class ClientRequestKeysPlainTest : public ::testing::TestWithParam<Plain> {};

TEST_P(ClientRequestKeysPlainTest, WithoutPlaceholderInTheRequestLineThereIsNothingToExpand) {
  EXPECT_EQ(RequestKeys::of(GetParam().request, 0), nullptr);
  EXPECT_FALSE(client::has_key_placeholder(GetParam().request));
}

INSTANTIATE_TEST_SUITE_P(Table, ClientRequestKeysPlainTest, ::testing::ValuesIn(kPlain),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(ClientRequestKeysTest, RendersTheLargestNumber) {
  std::string out;
  RequestKeys::of("GET /{n} HTTP/1.1\r\n\r\n", 0)->render(18446744073709551615u, out);
  EXPECT_EQ(out, "GET /18446744073709551615 HTTP/1.1\r\n\r\n");
}

TEST(ClientRequestKeysTest, NumbersAreUniqueAcrossThreads) {
  const auto keys = RequestKeys::of("GET /{n} HTTP/1.1\r\n\r\n", 0);
  constexpr int kThreads = 4, kEach = 2000;
  std::mutex mutex;
  std::vector<std::string> seen;
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        std::vector<std::string> mine;
        std::string out;
        for (int i = 0; i < kEach; ++i) {
          keys->next(out);
          mine.push_back(out);
        }
        std::lock_guard lock(mutex);
        seen.insert(seen.end(), mine.begin(), mine.end());
      });
    }
  }
  std::vector<std::string> expected;
  std::string out;
  for (int n = 0; n < kThreads * kEach; ++n) {
    keys->render(static_cast<uint64_t>(n), out);
    expected.push_back(out);
  }
  std::sort(seen.begin(), seen.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(seen, expected);
}

}  // namespace

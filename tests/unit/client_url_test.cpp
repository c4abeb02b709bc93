#include <gtest/gtest.h>

#include "client/url.hpp"

namespace {

struct Good {
  const char* name;
  const char* input;
  const char* host;
  uint16_t port;
  const char* target;
  const char* authority;
};

const Good kGood[] = {
    {"full", "http://127.0.0.1:8080/", "127.0.0.1", 8080, "/", "127.0.0.1:8080"},
    {"no_path", "http://127.0.0.1:8080", "127.0.0.1", 8080, "/", "127.0.0.1:8080"},
    {"default_port", "http://localhost/a/b", "localhost", 80, "/a/b", "localhost"},
    {"no_scheme", "127.0.0.1:9000/x", "127.0.0.1", 9000, "/x", "127.0.0.1:9000"},
    {"upper_scheme", "HTTP://127.0.0.1:1/", "127.0.0.1", 1, "/", "127.0.0.1:1"},
    {"query_kept", "http://h:81/p?a=1&b=2", "h", 81, "/p?a=1&b=2", "h:81"},
    {"query_without_path", "http://h:81?a=1", "h", 81, "/?a=1", "h:81"},
    {"fragment_dropped", "http://h:81/p#frag", "h", 81, "/p", "h:81"},
    {"ipv6", "http://[::1]:8080/v", "::1", 8080, "/v", "[::1]:8080"},
    {"ipv6_default_port", "http://[::1]/", "::1", 80, "/", "[::1]"},
};

class ClientUrlGoodTest : public ::testing::TestWithParam<Good> {};

TEST_P(ClientUrlGoodTest, SplitsHostPortAndTarget) {
  const Good& c = GetParam();
  auto url = client::parse_url(c.input);
  ASSERT_TRUE(url.ok()) << url.error().message;
  EXPECT_EQ(url->host, c.host);
  EXPECT_EQ(url->port, c.port);
  EXPECT_EQ(url->target, c.target);
  EXPECT_EQ(url->authority(), c.authority);
  EXPECT_EQ(url->to_string(), std::string("http://") + c.authority + c.target);
}

INSTANTIATE_TEST_SUITE_P(Table, ClientUrlGoodTest, ::testing::ValuesIn(kGood),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

struct Bad {
  const char* name;
  const char* input;
  const char* says;  // part of the error message
};

const Bad kBad[] = {
    {"https", "https://127.0.0.1/", "only http://"},
    {"other_scheme", "ftp://127.0.0.1/", "only http://"},
    {"empty", "", "missing host"},
    {"no_host", "http://:8080/", "missing host"},
    {"port_zero", "http://h:0/", "port out of range"},
    {"port_too_big", "http://h:65536/", "port out of range"},
    {"port_not_number", "http://h:80a/", "port is not a number"},
    {"port_empty", "http://h:/", "port is not a number"},
    {"userinfo", "http://u:p@h/", "user info"},
    {"unclosed_ipv6", "http://[::1:80/", "missing ']'"},
    {"junk_after_ipv6", "http://[::1]x/", "after ']'"},
    {"space_in_path", "http://h/a b", "spaces or control"},
};

class ClientUrlBadTest : public ::testing::TestWithParam<Bad> {};

TEST_P(ClientUrlBadTest, RejectsWithAReason) {
  const Bad& c = GetParam();
  auto url = client::parse_url(c.input);
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.error().code, common::Errc::invalid_argument);
  EXPECT_NE(url.error().message.find(c.says), std::string::npos) << url.error().message;
  EXPECT_EQ(url.error().message.rfind(c.input, 0), 0u)
      << "names the input: " << url.error().message;
}

INSTANTIATE_TEST_SUITE_P(Table, ClientUrlBadTest, ::testing::ValuesIn(kBad),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace

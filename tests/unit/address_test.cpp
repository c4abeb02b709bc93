#include "common/address.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>

namespace {

struct GoodCase {
  const char* name;
  const char* text;
  const char* host;
  uint16_t port;
  const char* printed;
};

class ParseHostPortGood : public testing::TestWithParam<GoodCase> {};

TEST_P(ParseHostPortGood, SplitsHostAndPort) {
  const GoodCase& c = GetParam();
  auto hp = common::parse_host_port(c.text);
  ASSERT_TRUE(hp.ok()) << hp.error().message;
  EXPECT_EQ(hp->host, c.host);
  EXPECT_EQ(hp->port, c.port);
  EXPECT_EQ(hp->to_string(), c.printed);
}

INSTANTIATE_TEST_SUITE_P(
    AddressTest, ParseHostPortGood,
    testing::Values(
        GoodCase{"ipv4", "127.0.0.1:8080", "127.0.0.1", 8080, "127.0.0.1:8080"},
        GoodCase{"port_zero", "10.0.0.2:0", "10.0.0.2", 0, "10.0.0.2:0"},
        GoodCase{"port_max", "1.2.3.4:65535", "1.2.3.4", 65535, "1.2.3.4:65535"},
        GoodCase{"leading_zeros", "1.2.3.4:0080", "1.2.3.4", 80, "1.2.3.4:80"},
        GoodCase{"ipv6_loopback", "[::1]:9000", "::1", 9000, "[::1]:9000"},
        GoodCase{"ipv6_full", "[2001:db8::7]:443", "2001:db8::7", 443, "[2001:db8::7]:443"},
        GoodCase{"hostname", "localhost:80", "localhost", 80, "localhost:80"},
        GoodCase{"bracketed_name", "[example.org]:1", "example.org", 1, "example.org:1"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

struct BadCase {
  const char* name;
  const char* text;
  const char* message;  // the whole error message: it must name the input and the reason
};

class ParseHostPortBad : public testing::TestWithParam<BadCase> {};

TEST_P(ParseHostPortBad, RejectsWithReason) {
  const BadCase& c = GetParam();
  auto hp = common::parse_host_port(c.text);
  ASSERT_FALSE(hp.ok()) << "parsed as " << hp->to_string();
  EXPECT_EQ(hp.error().code, common::Errc::invalid_argument);
  EXPECT_EQ(hp.error().message, c.message);
}

INSTANTIATE_TEST_SUITE_P(
    AddressTest, ParseHostPortBad,
    testing::Values(
        BadCase{"empty", "", "empty address (expected host:port)"},
        BadCase{"missing_port", "localhost", "localhost: missing ':port'"},
        BadCase{"empty_port", "localhost:", "localhost:: missing port number after ':'"},
        BadCase{"port_not_number", "host:http", "host:http: port 'http' is not a number"},
        BadCase{"port_signed", "host:+80", "host:+80: port '+80' is not a number"},
        BadCase{"port_trailing", "host:80x", "host:80x: port '80x' is not a number"},
        BadCase{"port_out_of_range", "1.2.3.4:99999", "1.2.3.4:99999: port out of range (0-65535)"},
        BadCase{"port_huge", "1.2.3.4:99999999999999999999999",
                "1.2.3.4:99999999999999999999999: port out of range (0-65535)"},
        BadCase{"unterminated_bracket", "[::1:80",
                "[::1:80: unterminated '[' (expected \"[v6]:port\")"},
        BadCase{"bracket_no_port", "[::1]", "[::1]: missing ':port'"},
        BadCase{"bracket_junk", "[::1]80", "[::1]80: expected ':port' after ']'"},
        BadCase{"bare_ipv6", "::1:80", "::1:80: IPv6 address needs brackets, as in \"[::1]:8080\""},
        BadCase{"empty_host", ":80", ":80: empty host"},
        BadCase{"empty_brackets", "[]:80", "[]:80: empty host"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

struct ResolveCase {
  const char* name;
  const char* text;
  int family;
  const char* printed;
};

class ResolveLiteral : public testing::TestWithParam<ResolveCase> {};

TEST_P(ResolveLiteral, GivesTheSameAddressBack) {
  const ResolveCase& c = GetParam();
  auto address = common::parse_address(c.text);
  ASSERT_TRUE(address.ok()) << address.error().message;
  EXPECT_EQ(address->family(), c.family);
  EXPECT_EQ(address->to_string(), c.printed);
}

INSTANTIATE_TEST_SUITE_P(AddressTest, ResolveLiteral,
                         testing::Values(ResolveCase{"ipv4", "127.0.0.1:8080", AF_INET,
                                                     "127.0.0.1:8080"},
                                         ResolveCase{"ipv4_any", "0.0.0.0:0", AF_INET, "0.0.0.0:0"},
                                         ResolveCase{"ipv6", "[::1]:443", AF_INET6, "[::1]:443"},
                                         ResolveCase{"ipv6_compressed", "[2001:0db8:0000::0001]:1",
                                                     AF_INET6, "[2001:db8::1]:1"}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(AddressTest, ResolvesLocalhostToLoopback) {
  // /etc/hosts answers this one; no DNS server is needed.
  auto address = common::parse_address("localhost:8080");
  ASSERT_TRUE(address.ok()) << address.error().message;
  EXPECT_EQ(address->port(), 8080);
  EXPECT_TRUE(address->host() == "127.0.0.1" || address->host() == "::1") << address->host();
}

TEST(AddressTest, ParseErrorsPassThroughParseAddress) {
  auto address = common::parse_address("1.2.3.4:99999");
  ASSERT_FALSE(address.ok());
  EXPECT_EQ(address.error().message, "1.2.3.4:99999: port out of range (0-65535)");
}

TEST(AddressTest, CopiesARawSockaddr) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(4242);
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const common::Address address(reinterpret_cast<const sockaddr*>(&in), sizeof in);
  EXPECT_EQ(address.length(), sizeof in);
  EXPECT_EQ(address.port(), 4242);
  EXPECT_EQ(address.to_string(), "127.0.0.1:4242");
}

}  // namespace

#include "common/http_parser.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace common {
namespace {

using namespace std::string_view_literals;

// ---- Request heads: a table of named cases ----

struct RequestCase {
  const char* name;
  std::string_view input;
  ParseState state;
  HttpError error = HttpError::none;
};
void PrintTo(const RequestCase& c, std::ostream* os) { *os << c.name; }

// Names each parameterized case after its table row.
struct CaseName {
  template <class Case>
  std::string operator()(const testing::TestParamInfo<Case>& row) const {
    return row.param.name;
  }
};

constexpr auto kOk = ParseState::complete;
constexpr auto kMore = ParseState::incomplete;
constexpr auto kErr = ParseState::error;
constexpr auto k400 = HttpError::bad_request;
constexpr auto k505 = HttpError::version_not_supported;

const RequestCase kRequestCases[] = {
    {"MinimalGet", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", kOk},
    {"Http10WithoutHost", "GET / HTTP/1.0\r\n\r\n", kOk},
    {"LowercaseMethodIsAToken", "get / HTTP/1.1\r\nHost: a\r\n\r\n", kOk},
    {"EveryTcharInMethod", "!#$%&'*+-.^_`|~09azAZ / HTTP/1.1\r\nHost: a\r\n\r\n", kOk},
    {"AbsoluteFormTarget", "GET http://a.example/b?c=d HTTP/1.1\r\nHost: a.example\r\n\r\n", kOk},
    {"AsteriskFormTarget", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", kOk},
    {"AuthorityFormTarget", "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", kOk},
    {"HostWithIpv6LiteralAndPort", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", kOk},
    {"EmptyHostIsAllowed", "GET / HTTP/1.1\r\nHost:\r\n\r\n", kOk},
    {"ObsTextInValue", "GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n", kOk},
    {"HtabInsideValue", "GET / HTTP/1.1\r\nHost: a\r\nX: a\tb\r\n\r\n", kOk},
    {"EmptyValue", "GET / HTTP/1.1\r\nHost: a\r\nX:\r\n\r\n", kOk},
    {"LeadingEmptyLinesSkipped", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", kOk},

    {"BareLfAfterRequestLine", "GET / HTTP/1.1\nHost: a\r\n\r\n", kErr, k400},
    {"BareLfAfterField", "GET / HTTP/1.1\r\nHost: a\n\r\n", kErr, k400},
    {"BareLfAsEmptyLine", "GET / HTTP/1.1\r\nHost: a\r\n\n", kErr, k400},
    {"BareLfBeforeRequestLine", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", kErr, k400},
    {"BareLfInsideFieldName", "GET / HTTP/1.1\r\nHo\nst: a\r\n\r\n", kErr, k400},
    {"BareLfAfterTarget", "GET /\n", kErr, k400},
    {"CrWithoutLfInValue", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", kErr, k400},
    {"CrWithoutLfEndingRequestLine", "GET / HTTP/1.1\rHost: a\r\n\r\n", kErr, k400},
    {"CrWithoutLfAsEmptyLine", "GET / HTTP/1.1\r\nHost: a\r\n\rX", kErr, k400},
    {"ObsFoldWithSpace", "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", kErr, k400},
    {"ObsFoldWithTab", "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\tc\r\n\r\n", kErr, k400},
    {"WhitespaceLineAfterRequestLine", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", kErr, k400},
    {"SpaceBeforeColon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", kErr, k400},
    {"TabBeforeColon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", kErr, k400},
    {"EmptyFieldName", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", kErr, k400},
    {"NonTokenFieldName", "GET / HTTP/1.1\r\nHost: a\r\nX(y): b\r\n\r\n", kErr, k400},
    {"FieldLineWithoutColon", "GET / HTTP/1.1\r\nHost: a\r\nJunk\r\n\r\n", kErr, k400},
    {"NulInValue", "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"sv, kErr, k400},
    {"ControlCharInValue",
     "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01"
     "b\r\n\r\n",
     kErr, k400},
    {"DelInValue", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", kErr, k400},
    {"EmptyMethod", " / HTTP/1.1\r\nHost: a\r\n\r\n", kErr, k400},
    {"NonTokenMethod", "GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", kErr, k400},
    {"TwoSpacesAfterMethod", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", kErr, k400},
    {"TwoSpacesAfterTarget", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", kErr, k400},
    {"TabAsSeparator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", kErr, k400},
    {"SpaceInTarget", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", kErr, k400},
    {"NonAsciiInTarget", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", kErr, k400},
    {"ControlCharInTarget", "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", kErr, k400},
    {"MissingVersion", "GET /\r\nHost: a\r\n\r\n", kErr, k400},
    {"LowercaseVersion", "GET / http/1.1\r\nHost: a\r\n\r\n", kErr, k400},
    {"VersionWithoutMinor", "GET / HTTP/2\r\nHost: a\r\n\r\n", kErr, k400},
    {"VersionWithTwoDigitMinor", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", kErr, k400},
    {"SpaceAfterVersion", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", kErr, k400},
    {"NotHttp", "GET / HTTX/1.1\r\nHost: a\r\n\r\n", kErr, k400},
    {"Version20", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", kErr, k505},
    {"Version12", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", kErr, k505},
    {"Version09", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", kErr, k505},
    {"MissingHostIn11", "GET / HTTP/1.1\r\nX: a\r\n\r\n", kErr, k400},
    {"TwoHostsIn11", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", kErr, k400},
    {"TwoHostsIn10", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", kErr, k400},
    {"HostWithSpace", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", kErr, k400},
    {"HostWithSlash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", kErr, k400},
    {"HostWithUserinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", kErr, k400},
    {"AuthorityFormForPut", "PUT a.example:80 HTTP/1.1\r\nHost: a\r\n\r\n", kErr, k400},
    {"AuthorityFormForGet", "GET a.example HTTP/1.1\r\nHost: a\r\n\r\n", kErr, k400},
    {"SchemeWithoutSlashesIsAuthorityForm", "GET http:80 HTTP/1.1\r\nHost: a\r\n\r\n", kErr, k400},
    {"AsteriskFormForGet", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", kErr, k400},
    {"ConnectWithOriginForm", "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", kErr, k400},
    {"ConnectWithAbsoluteForm", "CONNECT http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", kErr, k400},

    {"EmptyBuffer", "", kMore},
    {"OnlyEmptyLines", "\r\n\r\n", kMore},
    {"HeadWithoutEmptyLine", "GET / HTTP/1.1\r\nHost: a\r\n", kMore},
    {"WaitingForFinalLf", "GET / HTTP/1.1\r\nHost: a\r\n\r", kMore},
};

class RequestTableTest : public testing::TestWithParam<RequestCase> {};

TEST_P(RequestTableTest, ParsesAsExpected) {
  const RequestCase& c = GetParam();
  RequestHead head;
  const ParseResult r = parse_request_head(c.input, HttpLimits{}, head);
  EXPECT_EQ(r.state, c.state);
  EXPECT_EQ(r.error, c.error);
  if (c.state == kOk) {
    EXPECT_EQ(r.consumed, c.input.size());
  }
  EXPECT_EQ(r.reason.empty(), c.state != kErr) << r.reason;
}

INSTANTIATE_TEST_SUITE_P(HttpParserTest, RequestTableTest, testing::ValuesIn(kRequestCases),
                         CaseName{});

// ---- Request heads: fields and values ----

TEST(HttpParserTest, ExtractsRequestLineAndTrimmedFields) {
  const std::string_view input =
      "POST /submit?x=1 HTTP/1.1\r\nHost: example.com\r\nX-Pad: \t  a b \t \r\nEmpty:\r\n\r\n";
  RequestHead head;
  const ParseResult r = parse_request_head(input, HttpLimits{}, head);
  ASSERT_EQ(r.state, ParseState::complete) << r.reason;
  EXPECT_EQ(head.method, "POST");
  EXPECT_EQ(head.target, "/submit?x=1");
  EXPECT_EQ(head.version_minor, 1);
  ASSERT_EQ(head.headers.fields.size(), 3u);
  EXPECT_EQ(head.headers.fields[0].name, "Host");
  EXPECT_EQ(head.headers.fields[0].value, "example.com");
  EXPECT_EQ(head.headers.fields[1].value, "a b");
  EXPECT_EQ(head.headers.fields[2].name, "Empty");
  EXPECT_EQ(head.headers.fields[2].value, "");
}

TEST(HttpParserTest, LeadingEmptyLinesCountInConsumed) {
  const std::string_view input = "\r\n\r\nGET / HTTP/1.0\r\n\r\nNEXT";
  RequestHead head;
  const ParseResult r = parse_request_head(input, HttpLimits{}, head);
  ASSERT_EQ(r.state, ParseState::complete);
  EXPECT_EQ(r.consumed, input.size() - 4);
  EXPECT_EQ(head.method, "GET");
  EXPECT_EQ(head.version_minor, 0);
}

TEST(HttpParserTest, HeaderLookupIsCaseInsensitiveAndReturnsFirst) {
  const std::string_view input = "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2\r\n\r\n";
  RequestHead head;
  ASSERT_EQ(parse_request_head(input, HttpLimits{}, head).state, ParseState::complete);
  EXPECT_EQ(head.headers.get("X-A"), "1");
  EXPECT_EQ(head.headers.get("x-A"), "1");
  EXPECT_EQ(head.headers.count("X-a"), 2u);
  EXPECT_EQ(head.headers.get("X-B"), std::nullopt);
  EXPECT_EQ(head.headers.count("X-B"), 0u);
}

TEST(HttpParserTest, PipelinedRequestsAreParsedOneAtATime) {
  const std::string first = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string second = "GET /2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  const std::string both = first + second;
  RequestHead head;
  ParseResult r = parse_request_head(both, HttpLimits{}, head);
  ASSERT_EQ(r.state, ParseState::complete);
  EXPECT_EQ(r.consumed, first.size());
  EXPECT_EQ(head.target, "/1");
  r = parse_request_head(std::string_view(both).substr(r.consumed), HttpLimits{}, head);
  ASSERT_EQ(r.state, ParseState::complete);
  EXPECT_EQ(r.consumed, second.size());
  EXPECT_EQ(head.target, "/2");
  EXPECT_EQ(head.headers.get("connection"), "close");
}

// Every strict prefix of a valid head is incomplete (never an error); the whole one is complete.
TEST(HttpParserTest, EveryPrefixOfAValidRequestIsIncomplete) {
  const std::string_view messages[] = {
      "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
      "\r\n\r\nPOST /form HTTP/1.1\r\nHost: example.com:8080\r\nContent-Length: 3\r\n"
      "X-Spaces:  a  \r\nEmpty:\r\n\r\n",
      "GET / HTTP/1.0\r\n\r\n",
  };
  for (const std::string_view message : messages) {
    RequestHead head;
    for (size_t n = 0; n < message.size(); ++n) {
      const ParseResult r = parse_request_head(message.substr(0, n), HttpLimits{}, head);
      EXPECT_EQ(r.state, ParseState::incomplete) << "prefix " << n << ": " << r.reason;
    }
    const ParseResult r = parse_request_head(message, HttpLimits{}, head);
    EXPECT_EQ(r.state, ParseState::complete) << r.reason;
    EXPECT_EQ(r.consumed, message.size());
  }
}

TEST(HttpParserTest, ReasonNamesTheBrokenRule) {
  const std::pair<std::string_view, std::string_view> table[] = {
      {"GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", "obsolete line folding"},
      {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", "whitespace before colon in field"},
      {"GET / HTTP/1.1\nHost: a\r\n\r\n", "bare LF line ending"},
      {"GET / HTTP/1.1\r\n\r\n", "missing Host field"},
  };
  for (const auto& [input, reason] : table) {
    RequestHead head;
    EXPECT_EQ(parse_request_head(input, HttpLimits{}, head).reason, reason) << input;
  }
}

// ---- Request heads: limits ----

std::string request_with_target(size_t target_size) {
  return "GET /" + std::string(target_size - 1, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n";
}

TEST(HttpParserTest, RequestLineAtTheLimitIsAccepted) {
  HttpLimits limits;
  limits.max_request_line = 100;
  const std::string input = request_with_target(100 - "GET  HTTP/1.1"sv.size());
  RequestHead head;
  EXPECT_EQ(parse_request_head(input, limits, head).state, ParseState::complete);
}

TEST(HttpParserTest, RequestLineOverTheLimitIs414) {
  HttpLimits limits;
  limits.max_request_line = 100;
  const std::string input = request_with_target(101 - "GET  HTTP/1.1"sv.size());
  RequestHead head;
  const ParseResult r = parse_request_head(input, limits, head);
  EXPECT_EQ(r.state, ParseState::error);
  EXPECT_EQ(r.error, HttpError::uri_too_long);
  EXPECT_EQ(status_for(r.error), 414);
}

// A client streaming an endless target is refused as soon as the line exceeds the limit.
TEST(HttpParserTest, LongRequestLineIs414BeforeItEnds) {
  HttpLimits limits;
  limits.max_request_line = 100;
  const std::string line = request_with_target(500);
  RequestHead head;
  for (size_t n = 0; n < 200; ++n) {
    const ParseResult r = parse_request_head(std::string_view(line).substr(0, n), limits, head);
    const auto expected = n <= 100 ? ParseState::incomplete : ParseState::error;
    ASSERT_EQ(r.state, expected) << "prefix " << n;
    if (n > 100) {
      EXPECT_EQ(r.error, HttpError::uri_too_long);
    }
  }
}

TEST(HttpParserTest, RequestLineWaitingForLfAtTheLimitIsIncomplete) {
  HttpLimits limits;
  limits.max_request_line = 100;
  const std::string input = request_with_target(100 - "GET  HTTP/1.1"sv.size());
  RequestHead head;
  const ParseResult r = parse_request_head(std::string_view(input).substr(0, 101), limits, head);
  EXPECT_EQ(r.state, ParseState::incomplete) << r.reason;
}

std::string request_of_size(size_t total) {
  const std::string start = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
  return start + std::string(total - start.size() - 4, 'v') + "\r\n\r\n";
}

TEST(HttpParserTest, HeadAtTheSizeLimitIsAccepted) {
  HttpLimits limits;
  limits.max_head_bytes = 1000;
  const std::string input = request_of_size(1000);
  RequestHead head;
  const ParseResult r = parse_request_head(input, limits, head);
  EXPECT_EQ(r.state, ParseState::complete) << r.reason;
  EXPECT_EQ(r.consumed, 1000u);
}

TEST(HttpParserTest, HeadOverTheSizeLimitIs431) {
  HttpLimits limits;
  limits.max_head_bytes = 1000;
  const std::string input = request_of_size(1001);
  RequestHead head;
  const ParseResult r = parse_request_head(input, limits, head);
  EXPECT_EQ(r.state, ParseState::error);
  EXPECT_EQ(r.error, HttpError::header_too_large);
  EXPECT_EQ(status_for(r.error), 431);
}

TEST(HttpParserTest, IncompleteHeadOverTheSizeLimitIs431) {
  HttpLimits limits;
  limits.max_head_bytes = 1000;
  const std::string input = request_of_size(5000);
  RequestHead head;
  ParseResult r = parse_request_head(std::string_view(input).substr(0, 1000), limits, head);
  EXPECT_EQ(r.state, ParseState::incomplete);
  r = parse_request_head(std::string_view(input).substr(0, 1001), limits, head);
  EXPECT_EQ(r.state, ParseState::error);
  EXPECT_EQ(r.error, HttpError::header_too_large);
}

TEST(HttpParserTest, EndlessEmptyLinesCountTowardTheHeadLimit) {
  HttpLimits limits;
  limits.max_head_bytes = 100;
  std::string input;
  for (int i = 0; i < 60; ++i) input += "\r\n";
  RequestHead head;
  const ParseResult r = parse_request_head(input, limits, head);
  EXPECT_EQ(r.state, ParseState::error);
  EXPECT_EQ(r.error, HttpError::header_too_large);
}

std::string request_with_fields(size_t fields) {
  std::string s = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (size_t i = 1; i < fields; ++i) s += "X-" + std::to_string(i) + ": v\r\n";
  return s + "\r\n";
}

TEST(HttpParserTest, FieldCountAtTheLimitIsAccepted) {
  HttpLimits limits;
  limits.max_headers = 10;
  RequestHead head;
  const ParseResult r = parse_request_head(request_with_fields(10), limits, head);
  EXPECT_EQ(r.state, ParseState::complete) << r.reason;
  EXPECT_EQ(head.headers.fields.size(), 10u);
}

TEST(HttpParserTest, TooManyFieldsIs431) {
  HttpLimits limits;
  limits.max_headers = 10;
  RequestHead head;
  const ParseResult r = parse_request_head(request_with_fields(11), limits, head);
  EXPECT_EQ(r.state, ParseState::error);
  EXPECT_EQ(r.error, HttpError::header_too_large);
}

TEST(HttpParserTest, StatusForEveryError) {
  const std::pair<HttpError, int> table[] = {
      {HttpError::none, 200},
      {HttpError::bad_request, 400},
      {HttpError::request_timeout, 408},
      {HttpError::payload_too_large, 413},
      {HttpError::uri_too_long, 414},
      {HttpError::header_too_large, 431},
      {HttpError::not_implemented, 501},
      {HttpError::version_not_supported, 505},
      {HttpError::bad_response, 502},
  };
  for (const auto& [error, status] : table) EXPECT_EQ(status_for(error), status);
}

// ---- Response heads ----

struct ResponseCase {
  const char* name;
  std::string_view input;
  ParseState state;
  int status = 0;
  std::string_view reason = {};
};
void PrintTo(const ResponseCase& c, std::ostream* os) { *os << c.name; }

const ResponseCase kResponseCases[] = {
    {"Ok", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", kOk, 200, "OK"},
    {"Http10", "HTTP/1.0 404 Not Found\r\n\r\n", kOk, 404, "Not Found"},
    {"EmptyReason", "HTTP/1.1 204 \r\n\r\n", kOk, 204, ""},
    {"NoSpaceBeforeEmptyReason", "HTTP/1.1 204\r\n\r\n", kOk, 204, ""},
    {"ObsTextReason", "HTTP/1.1 200 \xc3\xa9\r\n\r\n", kOk, 200, "\xc3\xa9"},
    {"Status999", "HTTP/1.1 999 Odd\r\n\r\n", kOk, 999, "Odd"},
    {"Status100", "HTTP/1.1 100 Continue\r\n\r\n", kOk, 100, "Continue"},
    {"EmptyLineBeforeStatusLine", "\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", kOk, 200,
     "OK"},
    {"OnlyAnEmptyLine", "\r\n", kMore},
    {"Prefix", "HTTP/1.1 200 OK\r\n", kMore},
    {"VeryShortPrefix", "HTTP/", kMore},

    {"Http2", "HTTP/2 200 OK\r\n\r\n", kErr},
    {"Http12", "HTTP/1.2 200 OK\r\n\r\n", kErr},
    {"NotHttp", "ICY 200 OK\r\n\r\n", kErr},
    {"NotHttpShort", "ICY", kErr},
    {"TwoDigitStatus", "HTTP/1.1 20 OK\r\n\r\n", kErr},
    {"FourDigitStatus", "HTTP/1.1 2000 OK\r\n\r\n", kErr},
    {"StatusBelow100", "HTTP/1.1 099 Low\r\n\r\n", kErr},
    {"NonDigitStatus", "HTTP/1.1 2x0 OK\r\n\r\n", kErr},
    {"BareLfStatusLine", "HTTP/1.1 200 OK\nX: a\r\n\r\n", kErr},
    {"ControlCharInReason", "HTTP/1.1 200 O\x01K\r\n\r\n", kErr},
    {"ObsFold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", kErr},
    {"SpaceBeforeColon", "HTTP/1.1 200 OK\r\nX : a\r\n\r\n", kErr},
    {"NulInValue", "HTTP/1.1 200 OK\r\nX: \0\r\n\r\n"sv, kErr},
    {"BareLfBeforeStatusLine", "\nHTTP/1.1 200 OK\r\n\r\n", kErr},
};

class ResponseTableTest : public testing::TestWithParam<ResponseCase> {};

TEST_P(ResponseTableTest, ParsesAsExpected) {
  const ResponseCase& c = GetParam();
  ResponseHead head;
  const ParseResult r = parse_response_head(c.input, HttpLimits{}, head);
  ASSERT_EQ(r.state, c.state) << r.reason;
  if (c.state == kErr) {
    EXPECT_EQ(r.error, HttpError::bad_response);  // whatever rule was broken
    EXPECT_FALSE(r.reason.empty());
  }
  if (c.state == kOk) {
    EXPECT_EQ(r.consumed, c.input.size());
    EXPECT_EQ(head.status, c.status);
    EXPECT_EQ(head.reason, c.reason);
  }
}

INSTANTIATE_TEST_SUITE_P(HttpParserTest, ResponseTableTest, testing::ValuesIn(kResponseCases),
                         CaseName{});

TEST(HttpParserTest, EveryPrefixOfAValidResponseIsIncomplete) {
  const std::string_view message =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
  const size_t head_size = message.find("\r\n\r\n") + 4;
  ResponseHead head;
  for (size_t n = 0; n < head_size; ++n) {
    const ParseResult r = parse_response_head(message.substr(0, n), HttpLimits{}, head);
    EXPECT_EQ(r.state, ParseState::incomplete) << "prefix " << n << ": " << r.reason;
  }
  const ParseResult r = parse_response_head(message, HttpLimits{}, head);
  ASSERT_EQ(r.state, ParseState::complete);
  EXPECT_EQ(r.consumed, head_size);  // the body is not part of the head
  EXPECT_EQ(head.version_minor, 1);
  EXPECT_EQ(head.headers.get("content-length"), "5");
}

TEST(HttpParserTest, ResponseOverTheHeadLimitIsABadResponse) {
  HttpLimits limits;
  limits.max_head_bytes = 64;
  const std::string input = "HTTP/1.1 200 OK\r\nX: " + std::string(100, 'v') + "\r\n\r\n";
  ResponseHead head;
  const ParseResult r = parse_response_head(input, limits, head);
  EXPECT_EQ(r.state, ParseState::error);
  EXPECT_EQ(r.error, HttpError::bad_response);
  EXPECT_EQ(status_for(r.error), 502);
}

// ---- Body framing ----

struct FramingCase {
  const char* name;
  std::string_view head;
  BodyKind kind;
  uint64_t length = 0;
  HttpError error = HttpError::none;
};
void PrintTo(const FramingCase& c, std::ostream* os) { *os << c.name; }

constexpr auto kNone = BodyKind::none;
constexpr auto kLength = BodyKind::content_length;
constexpr auto kChunked = BodyKind::chunked;
constexpr auto kClose = BodyKind::until_close;

const FramingCase kRequestFramingCases[] = {
    {"NoBody", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", kNone},
    {"ContentLength", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n", kLength, 10},
    {"ContentLengthZero", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", kLength, 0},
    {"ContentLengthMax",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551615\r\n\r\n", kLength,
     UINT64_MAX},
    {"IdenticalListedLengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 42 , 42\r\n\r\n",
     kLength, 42},
    {"IdenticalRepeatedLengths",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\ncontent-length: 42\r\n\r\n", kLength, 42},
    {"Chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", kChunked},
    {"ChunkedAnyCase", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ChUnKeD\r\n\r\n",
     kChunked},
    {"EmptyListElementsIgnored",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , chunked\r\n\r\n", kChunked},

    {"DifferingListedLengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 42, 43\r\n\r\n",
     kNone, 0, k400},
    {"DifferingRepeatedLengths",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\nContent-Length: 43\r\n\r\n", kNone, 0,
     k400},
    {"EmptyLengthElement", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,,5\r\n\r\n", kNone, 0,
     k400},
    {"EmptyLength", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", kNone, 0, k400},
    {"SignedLength", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", kNone, 0, k400},
    {"NegativeLength", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", kNone, 0, k400},
    {"HexLength", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", kNone, 0, k400},
    {"SpaceInsideLength", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", kNone, 0,
     k400},
    {"OverflowingLength",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n", kNone, 0, k400},
    {"ChunkedNotLast", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
     kNone, 0, k400},
    {"OnlyGzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", kNone, 0, k400},
    {"ChunkedTwice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
     kNone, 0, k400},
    {"ChunkedTwiceOnTwoLines",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
     "chunked\r\n\r\n",
     kNone, 0, k400},
    {"ChunkedWithParameter", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;x=1\r\n\r\n",
     kNone, 0, k400},
    {"EmptyTransferEncoding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\n\r\n", kNone,
     0, k400},
    {"TransferEncodingAndLength",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", kNone,
     0, k400},
    {"TransferEncodingIn10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", kNone, 0,
     k400},
    {"UnknownCoding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: br, chunked\r\n\r\n", kNone,
     0, HttpError::not_implemented},
    // Forwarded as chunked alone, the coding would be lost: what is not applied is refused.
    {"GzipThenChunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip , chunked\r\n\r\n",
     kNone, 0, HttpError::not_implemented},
    {"CodingsOnTwoLines",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: deflate\r\nTransfer-Encoding: "
     "chunked\r\n\r\n",
     kNone, 0, HttpError::not_implemented},
    {"IdentityThenChunked",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity, chunked\r\n\r\n", kNone, 0,
     HttpError::not_implemented},
};

class RequestFramingTest : public testing::TestWithParam<FramingCase> {};

TEST_P(RequestFramingTest, FramesAsExpected) {
  const FramingCase& c = GetParam();
  RequestHead head;
  ASSERT_EQ(parse_request_head(c.head, HttpLimits{}, head).state, ParseState::complete);
  const BodyFraming f = request_body_framing(head);
  EXPECT_EQ(f.kind, c.kind);
  EXPECT_EQ(f.length, c.length);
  EXPECT_EQ(f.error, c.error);
  EXPECT_EQ(f.reason.empty(), c.error == HttpError::none);
}

INSTANTIATE_TEST_SUITE_P(HttpParserTest, RequestFramingTest,
                         testing::ValuesIn(kRequestFramingCases), CaseName{});

struct ResponseFramingCase {
  const char* name;
  std::string_view method;
  std::string_view head;
  BodyKind kind;
  uint64_t length = 0;
  HttpError error = HttpError::none;
};
void PrintTo(const ResponseFramingCase& c, std::ostream* os) { *os << c.name; }

constexpr auto k502 = HttpError::bad_response;

const ResponseFramingCase kResponseFramingCases[] = {
    {"ContentLength", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", kLength, 5},
    {"Chunked", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", kChunked},
    {"UnknownCodingThenChunked", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: br, chunked\r\n\r\n",
     kNone, 0, k502},
    {"GzipThenChunked", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", kNone,
     0, k502},
    {"NoFramingReadsUntilClose", "GET", "HTTP/1.1 200 OK\r\n\r\n", kClose},
    {"Http10UntilClose", "GET", "HTTP/1.0 200 OK\r\n\r\n", kClose},
    {"CodingNotEndingInChunked", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", kNone,
     0, k502},
    {"HeadHasNoBody", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", kNone},
    {"InformationalHasNoBody", "GET", "HTTP/1.1 101 Switching Protocols\r\n\r\n", kNone},
    {"NoContentHasNoBody", "GET", "HTTP/1.1 204 No Content\r\n\r\n", kNone},
    {"NotModifiedHasNoBody", "GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n",
     kNone},
    {"ConnectSuccessIsATunnel", "CONNECT", "HTTP/1.1 200 OK\r\n\r\n", kNone},
    {"ConnectFailureHasABody", "CONNECT", "HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\n",
     kLength, 2},
    {"DifferingLengths", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", kNone, 0, k502},
    {"InvalidLength", "GET", "HTTP/1.1 200 OK\r\nContent-Length: five\r\n\r\n", kNone, 0, k502},
    {"TransferEncodingAndLength", "GET",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", kNone, 0, k502},
    {"ChunkedTwice", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", kNone,
     0, k502},
};

class ResponseFramingTest : public testing::TestWithParam<ResponseFramingCase> {};

TEST_P(ResponseFramingTest, FramesAsExpected) {
  const ResponseFramingCase& c = GetParam();
  ResponseHead head;
  ASSERT_EQ(parse_response_head(c.head, HttpLimits{}, head).state, ParseState::complete);
  const BodyFraming f = response_body_framing(head, c.method);
  EXPECT_EQ(f.kind, c.kind);
  EXPECT_EQ(f.length, c.length);
  EXPECT_EQ(f.error, c.error);
}

INSTANTIATE_TEST_SUITE_P(HttpParserTest, ResponseFramingTest,
                         testing::ValuesIn(kResponseFramingCases), CaseName{});

// ---- The first bytes of a request ----

TEST(HttpParserTest, MayBeginRequestRefusesAtTheFirstImpossibleByte) {
  const struct {
    std::string_view bytes;
    bool may;
  } table[] = {
      {"", true},
      {"G", true},
      {"GET", true},
      {"GET /", true},
      {"\r\n", true},
      {"\r\nPOST ", true},
      {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"sv, false},  // a TLS ClientHello
      {"\x16"sv, false},
      {"\0"sv, false},
      {" GET / HTTP/1.1", false},
      {"GE(T", false},
      {"GET\t/", false},
      {"\r\n /", false},
      {"PRI", true},
  };
  for (const auto& row : table) {
    EXPECT_EQ(may_begin_request(row.bytes), row.may) << testing::PrintToString(row.bytes);
  }
}

// ---- Connection tokens ----

TEST(HttpParserTest, HasTokenMatchesWholeListElements) {
  const struct {
    std::string_view value;
    bool expected;
  } table[] = {
      {"close", true},       {"Close", true},       {"keep-alive, close", true},
      {" close ,", true},    {"x,\tCLOSE\t", true}, {"closed", false},
      {"", false},           {"clo se", false},     {"upgrade", false},
      {"keep-alive", false}, {",,", false},
  };
  for (const auto& row : table) EXPECT_EQ(has_token(row.value, "close"), row.expected) << row.value;
}

TEST(HttpParserTest, KeepsAliveFollowsVersionAndConnection) {
  const struct {
    std::string_view head;
    bool expected;
  } table[] = {
      {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, Close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: x\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false},
  };
  for (const auto& row : table) {
    RequestHead head;
    ASSERT_EQ(parse_request_head(row.head, HttpLimits{}, head).state, ParseState::complete);
    EXPECT_EQ(keeps_alive(head.version_minor, head.headers), row.expected) << row.head;
  }
}

}  // namespace
}  // namespace common

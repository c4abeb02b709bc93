// llhttp's request and response cases (test/request/*.md, test/response/*.md), held against
// common/http_parser and common/chunked: each message of a case is parsed as a strict server or
// proxy reads it, and the case ends refused or not, as llhttp says it must. The table and the
// reason for every case left out are in tests/unit/corpus/llhttp/cases.tsv.
#include <gtest/gtest.h>

#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "common/chunked.hpp"
#include "common/http_parser.hpp"

namespace common {
namespace {

struct LlhttpCase {
  std::string name;
  bool request = true;
  bool refused = false;  // llhttp reports an error
  std::string skip;      // why the case does not apply here, or empty
  std::string input;
};
void PrintTo(const LlhttpCase& c, std::ostream* os) { *os << c.name; }

// The table's escapes: \\ \r \n \t and \xNN.
std::string unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    const char c = text[++i];
    if (c == 'x' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += c == 'r' ? '\r' : c == 'n' ? '\n' : c == 't' ? '\t' : c;
    }
  }
  return out;
}

// Lines "name TAB request|response TAB ok|error TAB skip-reason|- TAB input"; # starts a comment.
std::vector<LlhttpCase> load_cases() {
  std::ifstream file(SUITE_SOURCE_DIR "/tests/unit/corpus/llhttp/cases.tsv");
  std::vector<LlhttpCase> cases;
  for (std::string line; std::getline(file, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string kind, expect, skip, input;
    LlhttpCase c;
    std::getline(fields, c.name, '\t');
    std::getline(fields, kind, '\t');
    std::getline(fields, expect, '\t');
    std::getline(fields, skip, '\t');
    std::getline(fields, input);
    c.request = kind == "request";
    c.refused = expect == "error";
    c.skip = skip == "-" ? "" : skip;
    c.input = unescape(input);
    cases.push_back(std::move(c));
  }
  return cases;
}

// How reading one message off the front of `rest` ended.
enum class Read { message, refused, wanting };  // wanting: more input would be needed

Read read_chunked_body(std::string_view& rest) {
  ChunkedDecoder decoder;
  while (!rest.empty()) {
    const ChunkedDecoder::Step step = decoder.feed(rest);
    rest.remove_prefix(step.consumed);
    if (step.error != HttpError::none) return Read::refused;
    if (step.done) return Read::message;
  }
  return Read::wanting;
}

Read read_body(const BodyFraming& framing, std::string_view& rest) {
  if (framing.error != HttpError::none) return Read::refused;
  switch (framing.kind) {
    case BodyKind::none:
      return Read::message;
    case BodyKind::chunked:
      return read_chunked_body(rest);
    case BodyKind::until_close:
      rest = {};
      return Read::wanting;
    case BodyKind::content_length:
      if (rest.size() < framing.length) return Read::wanting;
      rest.remove_prefix(static_cast<size_t>(framing.length));
      return Read::message;
  }
  return Read::refused;
}

Read read_message(bool request, std::string_view& rest) {
  ParseResult parsed;
  BodyFraming framing;
  RequestHead request_head;
  ResponseHead response_head;
  if (request) {
    parsed = parse_request_head(rest, HttpLimits{}, request_head);
    if (parsed.state == ParseState::complete) framing = request_body_framing(request_head);
  } else {
    parsed = parse_response_head(rest, HttpLimits{}, response_head);
    if (parsed.state == ParseState::complete) framing = response_body_framing(response_head, "GET");
  }
  if (parsed.state == ParseState::error) return Read::refused;
  if (parsed.state == ParseState::incomplete) return Read::wanting;
  rest.remove_prefix(parsed.consumed);
  return read_body(framing, rest);
}

// Whether a reader of this project refuses the case: it reads message after message until the
// input ends or one is refused.
bool refuses(const LlhttpCase& c) {
  std::string_view rest = c.input;
  while (!rest.empty()) {
    const Read read = read_message(c.request, rest);
    if (read == Read::refused) return true;
    if (read == Read::wanting) return false;
  }
  return false;
}

class LlhttpCorpusTest : public testing::TestWithParam<LlhttpCase> {};

TEST_P(LlhttpCorpusTest, RefusesWhatLlhttpRefuses) {
  const LlhttpCase& c = GetParam();
  if (!c.skip.empty()) GTEST_SKIP() << c.skip;
  EXPECT_EQ(refuses(c), c.refused) << testing::PrintToString(c.input);
}

INSTANTIATE_TEST_SUITE_P(Llhttp, LlhttpCorpusTest, testing::ValuesIn(load_cases()),
                         [](const testing::TestParamInfo<LlhttpCase>& param_info) {
                           return param_info.param.name;
                         });

TEST(LlhttpCorpusTest, TableIsThere) { EXPECT_GT(load_cases().size(), 100u); }

}  // namespace
}  // namespace common

// libFuzzer target: the request and response head parsers and the body framing rules. Besides
// memory safety it checks the parser's contract: results point into the buffer, a complete head
// is self-delimiting, and an error never turns into success when more bytes arrive.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/http_parser.hpp"

namespace {

using namespace common;

void check(bool ok) {
  if (!ok) std::abort();
}

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

// Small limits so that the limit paths are reached by short inputs.
constexpr HttpLimits kLimits{512, 128, 8};

void check_views(const RequestHead& head, std::string_view input) {
  check(inside(head.method, input) && inside(head.target, input));
  for (const Header& h : head.headers.fields) check(inside(h.name, input) && inside(h.value, input));
}

void fuzz_request(std::string_view input) {
  RequestHead head;
  const ParseResult r = parse_request_head(input, kLimits, head);
  check((r.state == ParseState::error) == (r.error != HttpError::none));
  check((r.state == ParseState::error) == !r.reason.empty());
  if (r.state == ParseState::incomplete) check(input.size() <= kLimits.max_head_bytes);
  // More input cannot rescue a refused head: if a prefix is refused, so is the whole.
  RequestHead half;
  if (parse_request_head(input.substr(0, input.size() / 2), kLimits, half).state ==
      ParseState::error) {
    check(r.state == ParseState::error);
  }
  // may_begin_request refuses only what the parser would: never a prefix of an acceptable head.
  if (!may_begin_request(input)) check(r.state == ParseState::error);
  if (r.state != ParseState::complete) return;
  check(r.consumed > 0 && r.consumed <= input.size() && r.consumed <= kLimits.max_head_bytes);
  check(head.headers.fields.size() <= kLimits.max_headers);
  check_views(head, input);
  RequestHead again;
  const ParseResult exact = parse_request_head(input.substr(0, r.consumed), kLimits, again);
  check(exact.state == ParseState::complete && exact.consumed == r.consumed);
  const ParseResult shorter = parse_request_head(input.substr(0, r.consumed - 1), kLimits, again);
  check(shorter.state == ParseState::incomplete);
  const BodyFraming f = request_body_framing(head);
  check((f.error == HttpError::none) == f.reason.empty());
  check(f.error == HttpError::none || f.kind == BodyKind::none);
  keeps_alive(head.version_minor, head.headers);
}

void fuzz_response(std::string_view input) {
  ResponseHead head;
  const ParseResult r = parse_response_head(input, kLimits, head);
  check(r.state != ParseState::error || r.error == HttpError::bad_response);
  if (r.state != ParseState::complete) return;
  check(r.consumed <= input.size() && head.status >= 100 && head.status <= 999);
  check(inside(head.reason, input));
  for (const std::string_view method : {"GET", "HEAD", "CONNECT"}) {
    const BodyFraming f = response_body_framing(head, method);
    check(f.error == HttpError::none || f.error == HttpError::bad_response);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  fuzz_request(input);
  fuzz_response(input);
  return 0;
}

#include "common/http_parser.hpp"

#include <algorithm>
#include <array>

namespace common {
namespace {

// Byte classes, one table lookup per byte in the hot loops.
enum CharClass : unsigned char {
  kTchar = 1,       // token character (RFC 9110 §5.6.2)
  kTargetChar = 2,  // visible ASCII, allowed in a request target
  kValueChar = 4,   // field-vchar, SP or HTAB (RFC 9110 §5.5)
};

constexpr std::array<unsigned char, 256> make_classes() {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool tchar = alnum || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                                    std::string_view::npos;
    const bool visible = c >= 0x21 && c <= 0x7e;
    const bool value = visible || c >= 0x80 || c == ' ' || c == '\t';
    t[static_cast<size_t>(c)] = static_cast<unsigned char>(
        (tchar ? kTchar : 0) | (visible ? kTargetChar : 0) | (value ? kValueChar : 0));
  }
  return t;
}
constexpr std::array<unsigned char, 256> kClasses = make_classes();

inline bool is(char c, CharClass cls) {
  return (kClasses[static_cast<unsigned char>(c)] & cls) != 0;
}
inline bool is_ows(char c) { return c == ' ' || c == '\t'; }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

ParseResult fail(HttpError error, std::string_view reason) {
  return {ParseState::error, 0, error, reason};
}
ParseResult need_more() { return {}; }
ParseResult done(size_t consumed) { return {ParseState::complete, consumed, HttpError::none, {}}; }

// Ran out of input inside the request line after `content` bytes of it: too long already, or
// wait for more.
ParseResult request_line_more(size_t content, const HttpLimits& limits) {
  if (content > limits.max_request_line)
    return fail(HttpError::uri_too_long, "request line too long");
  return need_more();
}

// Expects "\r\n" at buf[pos]; on success moves pos past it.
ParseResult expect_crlf(std::string_view buf, size_t& pos) {
  if (pos == buf.size()) return need_more();
  if (buf[pos] == '\n') return fail(HttpError::bad_request, "bare LF line ending");
  if (buf[pos] != '\r') return fail(HttpError::bad_request, "unexpected character before line end");
  if (pos + 1 == buf.size()) return need_more();
  if (buf[pos + 1] != '\n') return fail(HttpError::bad_request, "CR not followed by LF");
  pos += 2;
  return done(pos);
}

// "HTTP/1.x" at buf[pos] (8 bytes available): the minor version 0 or 1, or an error.
ParseResult parse_version(std::string_view buf, size_t pos, int& minor) {
  const std::string_view v = buf.substr(pos, 8);
  if (v.substr(0, 5) != "HTTP/" || !is_digit(v[5]) || v[6] != '.' || !is_digit(v[7])) {
    return fail(HttpError::bad_request, "malformed HTTP version");
  }
  if (v[5] != '1' || (v[7] != '0' && v[7] != '1')) {
    return fail(HttpError::version_not_supported, "unsupported HTTP version");
  }
  minor = v[7] - '0';
  return done(pos + 8);
}

// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then "://": an absolute-form target.
bool is_absolute_form(std::string_view target) {
  const size_t end = target.find("://");
  if (end == std::string_view::npos || end == 0) return false;
  const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(target[0])) return false;
  return std::all_of(
      target.begin(), target.begin() + static_cast<std::ptrdiff_t>(end),
      [&](char c) { return alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.'; });
}

// The request-target form must suit the method (RFC 9112 §3.2): authority-form ("host:port") is
// CONNECT's alone, and CONNECT takes nothing else; asterisk-form is OPTIONS' alone. A proxy that
// passed "PUT host:80" on would leave each hop to guess what it means.
std::string_view target_form_error(std::string_view method, std::string_view target) {
  const bool authority = target.front() != '/' && target != "*" && !is_absolute_form(target);
  if (method == "CONNECT") return authority ? "" : "CONNECT without an authority-form target";
  if (authority) return "authority-form target for a method other than CONNECT";
  if (target == "*" && method != "OPTIONS")
    return "asterisk-form target for a method other than OPTIONS";
  return {};
}

// method SP request-target SP HTTP-version CRLF, starting at pos; `buf` already stops at the
// request-line and head limits so a too-long line is refused before it ends.
ParseResult parse_request_line(std::string_view buf, size_t& pos, const HttpLimits& limits,
                               RequestHead& out) {
  const size_t start = pos;
  size_t i = pos;
  while (i < buf.size() && is(buf[i], kTchar)) ++i;
  if (i == buf.size()) return request_line_more(i - start, limits);
  if (i == start || buf[i] != ' ') return fail(HttpError::bad_request, "invalid method");
  out.method = buf.substr(start, i - start);
  const size_t target = ++i;
  while (i < buf.size() && is(buf[i], kTargetChar)) ++i;
  if (i == buf.size()) return request_line_more(i - start, limits);
  if (i == target || buf[i] != ' ') return fail(HttpError::bad_request, "invalid request target");
  out.target = buf.substr(target, i - target);
  if (const std::string_view why = target_form_error(out.method, out.target); !why.empty()) {
    return fail(HttpError::bad_request, why);
  }
  const size_t version = ++i;
  if (buf.size() - version < 8) return request_line_more(buf.size() - start, limits);
  ParseResult r = parse_version(buf, version, out.version_minor);
  if (r.state == ParseState::error) return r;
  i = version + 8;
  if (i < buf.size() && buf[i] != '\r' && buf[i] != '\n') {
    return fail(HttpError::bad_request, "malformed HTTP version");
  }
  r = expect_crlf(buf, i);
  // Waiting for the line end: the content so far is everything before position i.
  if (r.state == ParseState::incomplete) return request_line_more(i - start, limits);
  if (r.state == ParseState::error) return r;
  pos = i;
  return r;
}

// One "name: value CRLF" line at buf[pos]; on success appends it and moves pos past it.
ParseResult parse_field_line(std::string_view buf, size_t& pos, std::vector<Header>& fields) {
  size_t i = pos;
  while (i < buf.size() && is(buf[i], kTchar)) ++i;
  if (i == buf.size()) return need_more();
  if (buf[i] != ':') {
    if (is_ows(buf[i])) return fail(HttpError::bad_request, "whitespace before colon in field");
    if (buf[i] == '\n') return fail(HttpError::bad_request, "bare LF line ending");
    return fail(HttpError::bad_request, i == pos ? "invalid field line" : "invalid field name");
  }
  if (i == pos) return fail(HttpError::bad_request, "empty field name");
  const std::string_view name = buf.substr(pos, i - pos);
  const size_t value = ++i;
  while (i < buf.size() && is(buf[i], kValueChar)) ++i;
  if (i == buf.size()) return need_more();
  if (buf[i] != '\r') {
    if (buf[i] == '\n') return fail(HttpError::bad_request, "bare LF line ending");
    return fail(HttpError::bad_request, "invalid character in field value");
  }
  const size_t value_end = i;
  ParseResult r = expect_crlf(buf, i);
  if (r.state != ParseState::complete) return r;
  fields.push_back({name, trim_ows(buf.substr(value, value_end - value))});
  pos = i;
  return r;
}

// Field lines up to and including the empty line; consumed counts from the buffer start.
ParseResult parse_fields(std::string_view buf, size_t pos, const HttpLimits& limits,
                         HttpHeaders& out) {
  out.fields.clear();
  out.fields.reserve(std::min<size_t>(limits.max_headers, 32));
  while (true) {
    if (pos == buf.size()) return need_more();
    if (buf[pos] == '\r' || buf[pos] == '\n') return expect_crlf(buf, pos);
    if (is_ows(buf[pos])) return fail(HttpError::bad_request, "obsolete line folding");
    if (out.fields.size() == limits.max_headers) {
      return fail(HttpError::header_too_large, "too many header fields");
    }
    ParseResult r = parse_field_line(buf, pos, out.fields);
    if (r.state != ParseState::complete) return r;
  }
}

// Host = uri-host [ ":" port ]: characters of a reg-name, an IP literal or a port.
bool valid_host(std::string_view host) {
  return std::all_of(host.begin(), host.end(), [](char c) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    return alnum || std::string_view("-._~%!$&'()*+,;=:[]").find(c) != std::string_view::npos;
  });
}

ParseResult check_host(const RequestHead& head) {
  const Header* host = nullptr;
  for (const Header& h : head.headers.fields) {
    if (!iequals(h.name, "host")) continue;
    if (host) return fail(HttpError::bad_request, "more than one Host field");
    host = &h;
  }
  if (!host && head.version_minor == 1) return fail(HttpError::bad_request, "missing Host field");
  if (host && !valid_host(host->value)) return fail(HttpError::bad_request, "invalid Host field");
  return {};
}

// Skips the empty lines a client may send before a request line (RFC 9112 §2.2).
ParseResult skip_empty_lines(std::string_view buf, size_t& pos) {
  while (pos < buf.size() && (buf[pos] == '\r' || buf[pos] == '\n')) {
    ParseResult r = expect_crlf(buf, pos);
    if (r.state != ParseState::complete) return r;
  }
  return done(pos);
}

// An incomplete head already over max_head_bytes can never become acceptable.
ParseResult finish(ParseResult r, std::string_view buffer, const HttpLimits& limits) {
  if (r.state == ParseState::incomplete && buffer.size() > limits.max_head_bytes) {
    return fail(HttpError::header_too_large, "header section too large");
  }
  return r;
}

// status-code: three digits, 100-999.
bool parse_status(std::string_view digits, int& status) {
  if (!is_digit(digits[0]) || !is_digit(digits[1]) || !is_digit(digits[2]) || digits[0] == '0') {
    return false;
  }
  status = (digits[0] - '0') * 100 + (digits[1] - '0') * 10 + (digits[2] - '0');
  return true;
}

// HTTP-version SP status-code [ SP reason-phrase ] CRLF. The SP before an empty reason is
// optional because some servers omit it.
ParseResult parse_status_line(std::string_view buf, size_t& pos, ResponseHead& out) {
  if (buf.substr(0, 7) != std::string_view("HTTP/1.").substr(0, std::min<size_t>(buf.size(), 7))) {
    return fail(HttpError::bad_response, "malformed status line version");
  }
  if (buf.size() < 13) return need_more();
  if (buf.substr(0, 7) != "HTTP/1." || (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ') {
    return fail(HttpError::bad_response, "malformed status line version");
  }
  out.version_minor = buf[7] - '0';
  if (!parse_status(buf.substr(9, 3), out.status)) {
    return fail(HttpError::bad_response, "malformed status code");
  }
  size_t i = 12;
  if (buf[i] == ' ') {
    ++i;
  } else if (buf[i] != '\r') {
    return fail(HttpError::bad_response, "malformed status code");
  }
  const size_t reason = i;
  while (i < buf.size() && is(buf[i], kValueChar)) ++i;
  out.reason = buf.substr(reason, i - reason);
  ParseResult r = expect_crlf(buf, i);
  if (r.state == ParseState::complete) pos = i;
  return r;
}

}  // namespace

int status_for(HttpError error) {
  switch (error) {
    case HttpError::none:
      return 200;
    case HttpError::bad_request:
      return 400;
    case HttpError::request_timeout:
      return 408;
    case HttpError::payload_too_large:
      return 413;
    case HttpError::uri_too_long:
      return 414;
    case HttpError::header_too_large:
      return 431;
    case HttpError::not_implemented:
      return 501;
    case HttpError::version_not_supported:
      return 505;
    case HttpError::bad_response:
      return 502;
  }
  return 500;
}

std::optional<std::string_view> HttpHeaders::get(std::string_view name) const {
  for (const Header& h : fields) {
    if (iequals(h.name, name)) return h.value;
  }
  return std::nullopt;
}

size_t HttpHeaders::count(std::string_view name) const {
  return static_cast<size_t>(std::count_if(fields.begin(), fields.end(),
                                           [&](const Header& h) { return iequals(h.name, name); }));
}

ParseResult parse_request_head(std::string_view buffer, const HttpLimits& limits,
                               RequestHead& out) {
  const std::string_view head = buffer.substr(0, limits.max_head_bytes);
  size_t pos = 0;
  ParseResult r = skip_empty_lines(head, pos);
  if (r.state != ParseState::complete) return finish(r, buffer, limits);
  // Scanning stops just past the longest acceptable request line and its CRLF.
  const size_t line_limit = pos + std::min(limits.max_request_line, head.size()) + 2;
  r = parse_request_line(head.substr(0, line_limit), pos, limits, out);
  if (r.state != ParseState::complete) return finish(r, buffer, limits);
  r = parse_fields(head, pos, limits, out.headers);
  if (r.state != ParseState::complete) return finish(r, buffer, limits);
  const ParseResult host = check_host(out);
  return host.state == ParseState::error ? host : r;
}

bool may_begin_request(std::string_view buffer) {
  size_t i = 0;
  while (i < buffer.size() && (buffer[i] == '\r' || buffer[i] == '\n')) ++i;
  while (i < buffer.size() && is(buffer[i], kTchar)) ++i;
  return i == buffer.size() || (buffer[i] == ' ' && i > 0 && buffer[i - 1] != '\n');
}

bool is_tchar(char c) { return is(c, kTchar); }

ParseResult parse_response_head(std::string_view buffer, const HttpLimits& limits,
                                ResponseHead& out) {
  const std::string_view head = buffer.substr(0, limits.max_head_bytes);
  // Some servers end a 100 Continue with an extra CRLF; RFC 9112 §2.2 lets a reader skip it.
  size_t pos = 0;
  ParseResult r = skip_empty_lines(head, pos);
  if (r.state == ParseState::complete) {
    size_t line_end = 0;  // parse_status_line reads a buffer that starts with the line
    r = parse_status_line(head.substr(pos), line_end, out);
    pos += line_end;
  }
  if (r.state == ParseState::complete) r = parse_fields(head, pos, limits, out.headers);
  r = finish(r, buffer, limits);
  // A backend's malformed head is the backend's fault, whatever the rule it broke.
  if (r.state == ParseState::error) r.error = HttpError::bad_response;
  return r;
}

// ---- Body framing (RFC 9112 §6.3) ----

namespace {

// Calls f on each OWS-trimmed element of a comma-separated list, empty ones included, until f
// returns false; returns false if f did.
template <class F>
bool for_each_element(std::string_view list, F&& f) {
  while (true) {
    const size_t comma = list.find(',');
    if (!f(trim_ows(list.substr(0, comma)))) return false;
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

BodyFraming framing_error(HttpError error, std::string_view reason) {
  return {BodyKind::none, 0, error, reason};
}

bool parse_length(std::string_view digits, uint64_t& out) {
  if (digits.empty()) return false;
  uint64_t value = 0;
  for (char c : digits) {
    if (!is_digit(c)) return false;
    const auto d = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - d) / 10) return false;
    value = value * 10 + d;
  }
  out = value;
  return true;
}

// Every Content-Length line and list element must be the same decimal number: "42, 42" is
// accepted, "42, 43" and empty elements are not (RFC 9110 §8.6).
BodyFraming content_length(const HttpHeaders& headers, HttpError error) {
  BodyFraming result;
  for (const Header& h : headers.fields) {
    if (!iequals(h.name, "content-length")) continue;
    const bool ok = for_each_element(h.value, [&](std::string_view element) {
      uint64_t n = 0;
      if (!parse_length(element, n)) return false;
      if (result.kind == BodyKind::content_length && n != result.length) return false;
      result = {BodyKind::content_length, n, HttpError::none, {}};
      return true;
    });
    if (!ok) return framing_error(error, "invalid Content-Length");
  }
  return result;
}

struct Codings {
  bool present = false;
  bool chunked_last = false;
  bool other = false;          // a coding other than chunked
  std::string_view malformed;  // why the list is unusable, if it is
};

// Reads every Transfer-Encoding line as one list of codings (empty elements are allowed).
Codings read_codings(const HttpHeaders& headers) {
  Codings c;
  bool chunked_seen = false;
  bool any = false;
  for (const Header& h : headers.fields) {
    if (!iequals(h.name, "transfer-encoding")) continue;
    c.present = true;
    for_each_element(h.value, [&](std::string_view element) {
      if (element.empty()) return true;
      const std::string_view name = trim_ows(element.substr(0, element.find(';')));
      any = true;
      c.chunked_last = iequals(name, "chunked");
      if (c.chunked_last && chunked_seen) c.malformed = "chunked applied twice";
      if (c.chunked_last && name.size() != element.size()) c.malformed = "parameters on chunked";
      chunked_seen |= c.chunked_last;
      c.other |= !c.chunked_last;
      return c.malformed.empty();
    });
  }
  if (c.present && !any) c.malformed = "empty Transfer-Encoding";
  return c;
}

}  // namespace

BodyFraming request_body_framing(const RequestHead& head) {
  const Codings codings = read_codings(head.headers);
  if (!codings.present) return content_length(head.headers, HttpError::bad_request);
  if (head.version_minor == 0) {
    return framing_error(HttpError::bad_request, "Transfer-Encoding in an HTTP/1.0 request");
  }
  if (head.headers.count("content-length") != 0) {
    return framing_error(HttpError::bad_request, "both Transfer-Encoding and Content-Length");
  }
  if (!codings.malformed.empty()) return framing_error(HttpError::bad_request, codings.malformed);
  if (!codings.chunked_last) {
    return framing_error(HttpError::bad_request, "Transfer-Encoding does not end in chunked");
  }
  // Decoding is all a server or proxy here does with a body: forwarding "gzip, chunked" as
  // "chunked" would drop the coding, so any coding but chunked is refused (RFC 9112 §6.1).
  if (codings.other)
    return framing_error(HttpError::not_implemented, "transfer coding not applied");
  return {BodyKind::chunked, 0, HttpError::none, {}};
}

BodyFraming response_body_framing(const ResponseHead& head, std::string_view request_method) {
  const int s = head.status;
  const bool tunnel = request_method == "CONNECT" && s >= 200 && s < 300;
  if (request_method == "HEAD" || tunnel || (s >= 100 && s < 200) || s == 204 || s == 304) {
    return {};
  }
  const Codings codings = read_codings(head.headers);
  if (!codings.present) {
    BodyFraming framing = content_length(head.headers, HttpError::bad_response);
    if (framing.kind == BodyKind::none && framing.error == HttpError::none) {
      framing.kind = BodyKind::until_close;
    }
    return framing;
  }
  if (head.headers.count("content-length") != 0) {
    return framing_error(HttpError::bad_response, "both Transfer-Encoding and Content-Length");
  }
  if (!codings.malformed.empty()) return framing_error(HttpError::bad_response, codings.malformed);
  // The proxy re-frames every body it passes on and would silently drop any other coding.
  if (codings.other) return framing_error(HttpError::bad_response, "transfer coding not applied");
  return {codings.chunked_last ? BodyKind::chunked : BodyKind::until_close, 0, HttpError::none, {}};
}

bool has_token(std::string_view field_value, std::string_view token) {
  return !for_each_element(field_value,
                           [&](std::string_view element) { return !iequals(element, token); });
}

bool keeps_alive(int version_minor, const HttpHeaders& headers) {
  bool close = false;
  bool keep_alive = false;
  for (const Header& h : headers.fields) {
    if (!iequals(h.name, "connection")) continue;
    close |= has_token(h.value, "close");
    keep_alive |= has_token(h.value, "keep-alive");
  }
  if (close) return false;
  return version_minor >= 1 || keep_alive;
}

}  // namespace common

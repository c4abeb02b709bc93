// A strict HTTP/1.1 message-head parser (RFC 9112), a pure function over a byte buffer: it never
// reads a socket, never copies, and never assumes one read() is one message. Results point into
// the caller's buffer, so they are valid only while that buffer is unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace common {

struct HttpLimits {
  size_t max_head_bytes = 16 * 1024;   // request/status line + fields + blank line
  size_t max_request_line = 8 * 1024;  // longer request line -> 414
  size_t max_headers = 100;            // more fields -> 431
};

// Why a message was refused, mapped to the status a server answers with.
enum class HttpError {
  none,
  bad_request,            // 400: malformed
  request_timeout,        // 408: the head or body did not arrive in time
  payload_too_large,      // 413: body over the caller's limit
  uri_too_long,           // 414
  header_too_large,       // 431: head over max_head_bytes or too many fields
  not_implemented,        // 501: unknown transfer coding
  version_not_supported,  // 505
  bad_response,           // a backend's malformed response (the balancer answers 502)
};
int status_for(HttpError error);  // none -> 200, bad_response -> 502

struct Header {
  std::string_view name;
  std::string_view value;  // leading and trailing spaces/tabs removed
};

struct HttpHeaders {
  std::vector<Header> fields;
  // First value of a field (names compare case-insensitively), if any.
  std::optional<std::string_view> get(std::string_view name) const;
  size_t count(std::string_view name) const;
};

struct RequestHead {
  std::string_view method;
  std::string_view target;
  int version_minor = 1;  // HTTP/1.x
  HttpHeaders headers;
};

struct ResponseHead {
  int version_minor = 1;
  int status = 0;
  std::string_view reason;
  HttpHeaders headers;
};

enum class ParseState { complete, incomplete, error };

struct ParseResult {
  ParseState state = ParseState::incomplete;
  size_t consumed = 0;  // bytes of the head, including the blank line, when complete
  HttpError error = HttpError::none;
  std::string_view reason;  // static text saying why, when state == error
};

// Rejects (among others, per RFC 9112): bare LF line ends, obs-fold, whitespace between a field
// name and the colon, CR/LF/NUL in values, invalid tokens, a missing or repeated Host in
// HTTP/1.1. Leading empty lines before a request line are skipped (RFC 9112 §2.2).
ParseResult parse_request_head(std::string_view buffer, const HttpLimits& limits, RequestHead& out);
// False once the bytes so far cannot start a request line (after optional empty lines, a method
// token and SP): a TLS ClientHello on the plain port is refused at its first byte instead of
// waiting out the head's deadline.
bool may_begin_request(std::string_view buffer);

// Leading empty lines before the status line are skipped too: some servers send one after a
// 100 Continue.
ParseResult parse_response_head(std::string_view buffer, const HttpLimits& limits,
                                ResponseHead& out);

// How a message's body is delimited (RFC 9112 §6.3).
enum class BodyKind { none, content_length, chunked, until_close };
struct BodyFraming {
  BodyKind kind = BodyKind::none;
  uint64_t length = 0;  // for content_length
  HttpError error = HttpError::none;
  std::string_view reason;
};

// Requests: Transfer-Encoding with Content-Length, differing or invalid Content-Length values, or
// a Transfer-Encoding not ending in chunked -> 400; any coding besides chunked -> 501.
BodyFraming request_body_framing(const RequestHead& head);
// Responses to HEAD, 1xx, 204 and 304 have no body; otherwise as the fields say, or until close;
// any coding besides chunked -> bad_response.
BodyFraming response_body_framing(const ResponseHead& head, std::string_view request_method);

// A token character (RFC 9110 §5.6.2).
bool is_tchar(char c);
// True if the comma-separated field value lists `token` (case-insensitive), e.g. "close".
bool has_token(std::string_view field_value, std::string_view token);
// Whether the connection stays open after this exchange, from the version and Connection.
bool keeps_alive(int version_minor, const HttpHeaders& headers);

}  // namespace common

// Writing HTTP/1.1 messages: status texts, and a small builder for a response head.
#pragma once

#include <string>
#include <string_view>

namespace common {

std::string_view status_text(int status);  // "OK", "Not Found", ... ("Unknown" otherwise)

// Appends "HTTP/1.1 <status> <text>\r\n" to out.
void append_status_line(std::string& out, int status);
// Appends "<name>: <value>\r\n" to out.
void append_header(std::string& out, std::string_view name, std::string_view value);

// A complete short response with a text/plain body, for errors and simple answers:
// status line, Content-Type, Content-Length, any extra header lines (each ending "\r\n"),
// "Connection: close" when close is set, and the body. For 1xx, 204 and 304, which never have a
// body, the Content-* fields and the body are left out.
std::string simple_response(int status, std::string_view body, bool close,
                            std::string_view extra_headers = {});

}  // namespace common

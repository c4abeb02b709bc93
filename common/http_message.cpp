#include "common/http_message.hpp"

#include <charconv>

namespace common {

std::string_view status_text(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

namespace {

void append_number(std::string& out, uint64_t n) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, n).ptr);
}

}  // namespace

void append_status_line(std::string& out, int status) {
  out += "HTTP/1.1 ";
  append_number(out, static_cast<uint64_t>(status));
  out += ' ';
  out += status_text(status);
  out += "\r\n";
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

std::string simple_response(int status, std::string_view body, bool close,
                            std::string_view extra_headers) {
  // RFC 9110 §6.4.1: these statuses never carry content, and 1xx/204 must not send a length.
  const bool bodiless = (status >= 100 && status < 200) || status == 204 || status == 304;
  std::string out;
  out.reserve(128 + extra_headers.size() + (bodiless ? 0 : body.size()));
  append_status_line(out, status);
  if (!bodiless) {
    append_header(out, "Content-Type", "text/plain; charset=utf-8");
    out += "Content-Length: ";
    append_number(out, body.size());
    out += "\r\n";
  }
  out += extra_headers;
  if (close) append_header(out, "Connection", "close");
  out += "\r\n";
  if (!bodiless) out += body;
  return out;
}

}  // namespace common

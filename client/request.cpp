#include "client/request.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "common/http_message.hpp"

namespace client {

namespace {

// tchar of RFC 9110 §5.6.2.
bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_token_char);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

common::Error bad(std::string_view text, std::string_view why) {
  return common::Error{common::Errc::invalid_argument,
                       "'" + std::string(text) + "': " + std::string(why)};
}

}  // namespace

bool has_header(const RequestSpec& spec, std::string_view name) {
  return std::any_of(spec.headers.begin(), spec.headers.end(),
                     [&](const HeaderLine& h) { return iequals(h.name, name); });
}

common::Result<HeaderLine> parse_header_line(std::string_view line) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return bad(line, "expected 'Name: value'");
  const std::string_view name = line.substr(0, colon);
  if (!is_token(name)) return bad(line, "the name must be a token without spaces");
  const std::string_view value = trim(line.substr(colon + 1));
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return bad(line, "the value must not contain CR, LF or NUL");
  }
  if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding")) {
    return bad(line, "the body framing is set from --body");
  }
  return HeaderLine{std::string(name), std::string(value)};
}

common::Status check_method(std::string_view method) {
  if (!is_token(method)) return bad(method, "a method is a token such as GET or POST");
  return common::Ok{};
}

std::string build_request(const RequestSpec& spec) {
  std::string out;
  out.reserve(256 + spec.body.size());
  out += spec.method;
  out += ' ';
  out += spec.url.target;
  out += " HTTP/1.1\r\n";
  if (!has_header(spec, "Host")) common::append_header(out, "Host", spec.url.authority());
  for (const HeaderLine& h : spec.headers) common::append_header(out, h.name, h.value);
  const bool usually_has_body =
      spec.method == "POST" || spec.method == "PUT" || spec.method == "PATCH";
  if (!spec.body.empty() || usually_has_body) {
    common::append_header(out, "Content-Length", std::to_string(spec.body.size()));
  }
  if (!spec.keep_alive && !has_header(spec, "Connection")) {
    common::append_header(out, "Connection", "close");
  }
  out += "\r\n";
  out += spec.body;
  return out;
}

}  // namespace client

#include "web_server/router.hpp"

#include <cstdio>

#include "common/http_message.hpp"
#include "web_server/content_types.hpp"
#include "web_server/kv_api.hpp"

namespace web {

namespace {

constexpr std::string_view kHtml = "text/html; charset=utf-8";
constexpr std::string_view kReadMethods = "GET, HEAD";

bool is_read(std::string_view method) { return method == "GET" || method == "HEAD"; }

std::string html_escaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(c));
      out += escape;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string landing_page(std::string_view name) {
  const std::string title = html_escaped(name);
  return "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" + title +
         "</title></head>\n<body><h1>" + title + "</h1>\n<p>This page was served by <b>" + title +
         "</b>.</p>\n"
         "<p><a href=\"/health\">/health</a> &middot; <a href=\"/whoami\">/whoami</a> &middot; "
         "/ws (WebSocket echo)</p>\n</body></html>\n";
}

Response not_allowed(std::string_view allow) {
  Response response = error_response(405);
  response.allow = allow;
  return response;
}

}  // namespace

Router::Router(std::string name, std::optional<StaticFiles> files, Services services)
    : name_(std::move(name)),
      files_(std::move(files)),
      services_(services),
      landing_page_(landing_page(name_)),
      whoami_("{\"name\":" + json_string(name_) + "}\n") {}

Response Router::route(std::string_view method, std::string_view target) const {
  const std::string_view path = path_of(target);
  if (path == "/health") return fixed(method, kText, "ok\n");
  if (path == "/whoami") return fixed(method, kJson, whoami_);
  if (path == "/ws") {
    if (method != "GET") return not_allowed("GET");
    Response response;
    response.kind = Response::Kind::websocket;
    return response;
  }
  if (auto response = dynamic(method, path)) return std::move(*response);
  if (path.empty() || path.front() != '/') return error_response(404);
  if (files_) {
    FileLookup lookup = files_->find(path);
    if (lookup.outcome == Lookup::forbidden) return error_response(403);
    if (lookup.outcome == Lookup::found) {
      if (!is_read(method)) return not_allowed(kReadMethods);
      Response response;
      response.kind = Response::Kind::file;
      response.content_type = lookup.file.content_type;
      response.file = std::move(lookup.file);
      return response;
    }
  }
  if (path == "/") return fixed(method, kHtml, landing_page_);
  return error_response(404);
}

// The store's routes, checked before the static folder so that no file can shadow them.
std::optional<Response> Router::dynamic(std::string_view method, std::string_view path) const {
  if (services_.hub != nullptr && path == "/live") {
    if (method != "GET") return not_allowed("GET");
    Response response;
    response.kind = Response::Kind::live;
    return response;
  }
  if (services_.kv == nullptr) return std::nullopt;
  const std::string_view allow = KvApi::allowed_methods(path);
  if (allow.empty()) return std::nullopt;
  if (!KvApi::allows(allow, method)) return not_allowed(allow);
  Response response;
  response.kind = Response::Kind::api;
  response.path = path;
  return response;
}

Response Router::fixed(std::string_view method, std::string_view content_type,
                       std::string_view body) const {
  if (!is_read(method)) return not_allowed(kReadMethods);
  Response response;
  response.content_type = content_type;
  response.body = body;
  return response;
}

}  // namespace web

// The routes of web_server, decided from a request's method and target alone:
//   GET /health  -> 200 "ok"
//   GET /whoami  -> 200 {"name":"<name>"}
//   GET /ws      -> the WebSocket echo endpoint (the server checks the handshake)
//   GET /        -> the static folder's index.html when there is one, else a landing page
//   GET /<path>  -> a file of the static folder, or 404
// GET routes accept HEAD too; another method on a known path -> 405 with Allow.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "web_server/static_files.hpp"

namespace web {

struct Response {
  enum class Kind { fixed, file, websocket };
  Kind kind = Kind::fixed;
  int status = 200;
  std::string_view content_type;
  std::string_view body;   // for fixed: static text or text the Router owns
  std::string_view allow;  // the Allow field of a 405
  StaticFile file;         // for file
};

class Router {
 public:
  // files: the static folder, if any.
  Router(std::string name, std::optional<StaticFiles> files);

  Response route(std::string_view method, std::string_view target) const;

  const std::string& name() const { return name_; }

 private:
  Response fixed(std::string_view method, std::string_view content_type,
                 std::string_view body) const;
  std::string name_;
  std::optional<StaticFiles> files_;
  std::string landing_page_;
  std::string whoami_;
};

// A short response for an error status, its body the status text.
Response error_response(int status);

// The path of a request target: origin-form up to '?', or the path of an absolute-form target
// ("http://host/a?b" -> "/a"). Empty for other forms ("*", "host:443").
std::string_view path_of(std::string_view target);

}  // namespace web

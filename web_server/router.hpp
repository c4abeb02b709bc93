// The routes of web_server, decided from a request's method and target alone:
//   GET /health  -> 200 "ok"
//   GET /whoami  -> 200 {"name":"<name>"}
//   GET /ws      -> the WebSocket echo endpoint (the server checks the handshake)
//   /kv, /kv/<key>, /replication -> the KV API (see kv_api.hpp), when the server has a store
//   GET /live    -> the WebSocket push of store changes (see live/session.hpp), likewise
//   GET /        -> the static folder's index.html when there is one, else a landing page
//   GET /<path>  -> a file of the static folder, or 404
// GET routes accept HEAD too; another method on a known path -> 405 with Allow.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "web_server/static_files.hpp"

namespace web {

class KvApi;
namespace live {
class Hub;
}

struct Response {
  // fixed and file answer at once; websocket and live upgrade the connection; api asks the
  // connection to read the body and call Router::answer.
  enum class Kind { fixed, file, websocket, live, api };
  Kind kind = Kind::fixed;
  int status = 200;
  std::string_view content_type;
  std::string_view body;   // for fixed: static text or text the Router owns
  std::string_view allow;  // the Allow field of a 405
  StaticFile file;         // for file
  // For answers built per request (empty, so allocation-free, on the static paths):
  std::string owned_body;  // sent instead of `body` when not empty
  std::string headers;     // extra header lines, each "Name: value\r\n"

  std::string_view payload() const { return owned_body.empty() ? body : owned_body; }
};

// The routes backed by the store; each null when the server has none.
struct Services {
  KvApi* kv = nullptr;
  live::Hub* hub = nullptr;
};

class Router {
 public:
  // files: the static folder, if any.
  Router(std::string name, std::optional<StaticFiles> files, Services services = {});

  // Decided from the method and target alone; never allocates for fixed and file answers.
  Response route(std::string_view method, std::string_view target) const;
  // The answer to a request route() gave Kind::api, once its body has been read.
  Response answer(std::string_view method, std::string_view target, std::string_view body) const;

  const std::string& name() const { return name_; }
  const Services& services() const { return services_; }

 private:
  Response fixed(std::string_view method, std::string_view content_type,
                 std::string_view body) const;
  std::optional<Response> dynamic(std::string_view method, std::string_view path) const;
  std::string name_;
  std::optional<StaticFiles> files_;
  Services services_;
  std::string landing_page_;
  std::string whoami_;
};

// A short response for an error status, its body the status text.
Response error_response(int status);

// The path of a request target: origin-form up to '?', or the path of an absolute-form target
// ("http://host/a?b" -> "/a"). Empty for other forms ("*", "host:443").
std::string_view path_of(std::string_view target);

}  // namespace web

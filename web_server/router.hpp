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

#include "web_server/request_target.hpp"
#include "web_server/response.hpp"
#include "web_server/static_files.hpp"

namespace web {

class KvApi;
namespace live {
class Hub;
}

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

}  // namespace web

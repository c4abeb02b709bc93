// What a route answers: a fixed text, a file, a WebSocket upgrade, or a request for the body
// (Kind::api), shared by the Router, the KV API and the writer of responses.
#pragma once

#include <string>
#include <string_view>

#include "web_server/static_files.hpp"

namespace web {

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
  std::string_view path;   // for api: the target's path as the Router found it (a view into it)
  // For answers built per request (empty, so allocation-free, on the static paths):
  std::string owned_body;  // sent instead of `body` when not empty
  std::string headers;     // extra header lines, each "Name: value\r\n"

  std::string_view payload() const { return owned_body.empty() ? body : owned_body; }
};

// A short response for an error status, its body the status text.
Response error_response(int status);

}  // namespace web

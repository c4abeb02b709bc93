// Writing web_server's responses: the head (Content-Type, Content-Length, X-Backend, the
// Connection field the request calls for), then the body, in one write when it is in memory,
// or streamed from the file in bounded chunks.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/stream.hpp"
#include "web_server/response.hpp"

namespace web {

// What the request decides about its response, taken from its head before the body is read
// (which may move the bytes the head points into).
struct ResponseMode {
  bool head_only = false;   // a HEAD request: the head without the body
  bool keep_alive = false;  // false: "Connection: close", and the connection ends after it
  int version_minor = 1;    // an HTTP/1.0 client kept alive is told "Connection: keep-alive"
};

class ResponseWriter {
 public:
  // Writes to `out`; every response names `server_name` in X-Backend. Both must outlive this.
  ResponseWriter(common::Stream& out, std::string_view server_name)
      : out_(out), server_name_(server_name) {}

  // Sends the whole response (head and body in one write when they fit); false if sending
  // failed. `extra_headers`: more fields, each line ending in CRLF.
  bool send(const Response& response, const ResponseMode& mode,
            std::string_view extra_headers = {});

 private:
  bool send_file(const StaticFile& file);
  void write_head(const Response& response, uint64_t length, const ResponseMode& mode,
                  std::string_view extra_headers);

  common::Stream& out_;
  const std::string_view server_name_;
  std::string head_;                  // reused for every response
  std::unique_ptr<char[]> file_buf_;  // allocated for the first file sent
};

}  // namespace web

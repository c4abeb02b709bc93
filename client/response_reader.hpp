// Reads one complete HTTP/1.1 response from a blocking socket: the head, then the body however it
// is delimited (Content-Length, chunked, until close; none for HEAD, 1xx, 204, 304). The body is
// counted and discarded. One buffer is reused for the life of the reader, and bytes read past the
// end of a response stay in it for the next one.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "client/plan.hpp"
#include "common/fd.hpp"
#include "common/http_parser.hpp"
#include "common/result.hpp"
#include "common/stream.hpp"
#include "common/transport.hpp"

namespace client {

struct Response {
  int status = 0;
  bool keep_alive = false;  // the connection may carry another request
  bool has_backend = false;
  std::string_view backend;  // the X-Backend value; valid until the next read
  uint64_t body_bytes = 0;
  uint64_t wire_bytes = 0;  // bytes received from the socket during this read
};

class ResponseReader {
 public:
  static constexpr size_t kBufferSize = 64 * 1024;

  // `timeout` bounds each request (see read) and each send on the connection.
  explicit ResponseReader(std::chrono::milliseconds timeout);

  // A new connection, read and written from now on: forgets buffered bytes and sets its send
  // and receive timeouts. `fd` must outlive its use here.
  common::Status attach(const common::Fd& fd);

  // Sends a whole request on the attached connection.
  common::Status send(std::string_view request) { return stream_.write(request); }

  // Reads the next response to a request with `method` (a HEAD response has no body), until
  // `deadline`. Informational 1xx responses before the final one are skipped (101 ends it).
  // Errors: closed (the peer closed before the response was complete), reset, timed_out,
  // protocol (malformed head or body framing), io_error. After an error the connection is
  // unusable. Socket timeouts are changed only when a response is slow, so a response that
  // arrives in one segment costs exactly one recv.
  common::Result<Response> read(std::string_view method, Clock::time_point deadline);

  size_t buffered() const { return stream_.data().size(); }  // bytes kept for the next response

 private:
  common::Status read_head(Clock::time_point deadline);
  common::Status skip_body(const common::BodyFraming& framing, Clock::time_point deadline);

  std::chrono::milliseconds timeout_;
  std::optional<common::PlainSocket> socket_;
  common::Stream stream_;
  common::HttpLimits limits_;
  common::ResponseHead head_;  // reused: its field vector keeps its capacity
  std::string backend_;
  uint64_t body_bytes_ = 0;
};

}  // namespace client

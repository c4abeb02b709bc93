#include "web_server/connection.hpp"

#include <string>

#include "common/stream.hpp"
#include "common/transport.hpp"
#include "web_server/kv_api.hpp"
#include "web_server/response_writer.hpp"
#include "web_server/upgrade.hpp"

namespace web {

namespace {

using common::HttpError;
using common::ReadEnd;

constexpr size_t kBufferSlack = 16 * 1024;  // input buffer beyond the largest head
// What a refused request may still send before the connection closes: bounded in bytes and time.
constexpr common::Millis kDrainTime{2000};
constexpr size_t kDrainBytes = 4 * 1024 * 1024;
// A request body buffer larger than this is released after use rather than kept for the next
// request, so an idle connection does not hold a megabyte.
constexpr size_t kKeptBodyCapacity = 64 * 1024;

// How an attempt to read a request (or its body) ended.
enum class Got {
  request,  // complete
  error,    // refused: answer status_for(error) and close
  gone,     // the peer closed or idled out between requests: close without a word
};

class Connection {
 public:
  Connection(const common::Fd& fd, const Router& router, const ConnectionLimits& limits,
             common::Drain& drain)
      : socket_(fd),
        router_(router),
        limits_(limits),
        drain_(&drain, fd),
        in_(limits.http.max_head_bytes + kBufferSlack, limits.http.max_head_bytes + kBufferSlack),
        writer_(in_, router.name()) {}

  void run();

 private:
  bool serve_one();
  bool refuse(HttpError error, ResponseMode& mode);
  Response answer(Response routed, const common::BodyFraming& framing, Got& body, HttpError& error);
  Got read_head(HttpError& error);
  Got read_body(const common::BodyFraming& framing, HttpError& error, std::string* sink);
  bool wants_continue(const common::BodyFraming& framing) const;

  common::PlainSocket socket_;
  const Router& router_;
  const ConnectionLimits& limits_;
  common::Drain::Session drain_;
  common::Stream in_;
  ResponseWriter writer_;
  size_t head_size_ = 0;  // of the request in request_
  common::RequestHead request_;
  // For Kind::api requests: copies of the head's method, target and path (reading the body may
  // move the buffer they point into) and the body. Reused, so that steady traffic allocates
  // nothing.
  std::string api_method_;
  std::string api_target_;
  std::string api_path_;
  std::string body_;
};

void Connection::run() {
  // Small responses must leave at once rather than wait for the peer's delayed ACK.
  if (!common::set_nodelay(socket_.fd())) return;
  // A failure here leaves no timeout; the first read sets one again.
  (void)socket_.set_timeouts(limits_.idle_timeout, limits_.idle_timeout);
  in_.attach(socket_, limits_.idle_timeout);
  while (drain_.wait_next() && serve_one()) {
  }
}

// One request and its response; false when the connection is to be closed.
bool Connection::serve_one() {
  HttpError error = HttpError::none;
  ResponseMode mode;
  const Got head = read_head(error);
  if (head == Got::gone) return false;
  if (head == Got::error) return refuse(error, mode);
  in_.consume(head_size_);  // the head's views stay valid until the next read
  mode.head_only = request_.method == "HEAD";
  mode.version_minor = request_.version_minor;
  mode.keep_alive =
      common::keeps_alive(request_.version_minor, request_.headers) && !drain_.draining();
  const common::BodyFraming framing = common::request_body_framing(request_);
  if (framing.error != HttpError::none) return refuse(framing.error, mode);
  Response routed = router_.route(request_.method, request_.target);
  if (routed.kind == Response::Kind::websocket || routed.kind == Response::Kind::live) {
    // A WebSocket has no request boundary to wait at: the drain ends it at once, as an idle
    // connection; one asked for once the drain began is closed unanswered.
    if (!drain_.wait_next()) return false;
    upgrade({request_, framing, routed.kind, limits_.max_ws_message}, router_, in_, writer_);
    return false;
  }
  Got body = Got::request;
  const Response response = answer(std::move(routed), framing, body, error);
  if (body == Got::gone) return false;
  if (body == Got::error) return refuse(error, mode);
  return writer_.send(response, mode) && mode.keep_alive;
}

// Answers a refused request and closes. The client may still be sending the rest of it (a body
// over --max-body, say): drained first, so that the answer is not lost to a reset. Returns false.
bool Connection::refuse(HttpError error, ResponseMode& mode) {
  mode.keep_alive = false;
  if (writer_.send(error_response(common::status_for(error)), mode)) {
    in_.linger_before_close(kDrainTime, kDrainBytes);
  }
  return false;
}

// Reads the body: dropped for a routed answer, kept and handed to the KV API for Kind::api.
// `body` says how reading it ended; on anything but Got::request the answer is meaningless.
Response Connection::answer(Response routed, const common::BodyFraming& framing, Got& body,
                            HttpError& error) {
  if (routed.kind != Response::Kind::api) {
    body = read_body(framing, error, nullptr);
    return routed;  // moved: views and empty strings, no allocation
  }
  api_method_.assign(request_.method);
  api_target_.assign(request_.target);
  api_path_.assign(routed.path);
  body_.clear();
  if (body_.capacity() > kKeptBodyCapacity) std::string().swap(body_);
  body = read_body(framing, error, &body_);
  if (body != Got::request) return {};
  // route() gives Kind::api only when there is a KV API.
  return router_.services().kv->answer(api_method_, api_path_, api_target_, body_);
}

// Parses the next request head, reading more as needed. The first byte of a head starts its
// request_timeout; before that the connection may idle for idle_timeout.
Got Connection::read_head(HttpError& error) {
  common::HeadDeadline deadline;
  if (limits_.idle_timeout.count() > 0) {
    deadline.first_byte = common::Clock::now() + limits_.idle_timeout;
  }
  deadline.whole = limits_.request_timeout;
  const common::HeadRead head =
      in_.read_head(request_, limits_.http, deadline, [this] { drain_.busy(); });
  head_size_ = head.size;
  error = head.end == ReadEnd::timed_out ? HttpError::request_timeout : head.error;
  if (head.end == ReadEnd::complete) return Got::request;
  if (head.end == ReadEnd::invalid) return Got::error;
  return head.end == ReadEnd::timed_out && head.started ? Got::error : Got::gone;
}

// Reads the request body into sink, or drops it when sink is null, so that the next request is
// found where it starts. Bodies over max_body are refused (413) before any byte is read. Each
// read waits at most idle_timeout, and the whole body gets request_timeout plus a second per
// kMinBodyRate bytes (408 past either).
Got Connection::read_body(const common::BodyFraming& framing, HttpError& error, std::string* sink) {
  if (framing.kind != common::BodyKind::chunked &&
      framing.kind != common::BodyKind::content_length) {
    return Got::request;
  }
  if (framing.kind == common::BodyKind::content_length && framing.length > limits_.max_body) {
    error = HttpError::payload_too_large;
    return Got::error;
  }
  if (wants_continue(framing) && !in_.write("HTTP/1.1 100 Continue\r\n\r\n")) return Got::gone;
  const common::BodyDeadline deadline{limits_.idle_timeout, limits_.request_timeout,
                                      common::kMinBodyRate};
  const common::BodyRead read =
      in_.read_body(framing, limits_.max_body, deadline, [sink](std::string_view run) {
        if (sink != nullptr) sink->append(run);
      });
  error = read.end == ReadEnd::timed_out ? HttpError::request_timeout : read.error;
  if (read.end == ReadEnd::complete) return Got::request;
  return read.end == ReadEnd::timed_out || read.end == ReadEnd::invalid ? Got::error : Got::gone;
}

// Whether to send "100 Continue" before reading a body the client holds back until told to.
bool Connection::wants_continue(const common::BodyFraming& framing) const {
  if (request_.version_minor < 1) return false;
  const auto expect = request_.headers.get("Expect");
  if (!expect || !common::has_token(*expect, "100-continue")) return false;
  // A body already (completely) received needs no invitation.
  return framing.kind != common::BodyKind::content_length || framing.length > in_.data().size();
}

}  // namespace

void serve_connection(const common::Fd& client, const Router& router,
                      const ConnectionLimits& limits, common::Drain& drain) {
  Connection(client, router, limits, drain).run();
}

}  // namespace web

#include "web_server/connection.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "common/chunked.hpp"
#include "common/http_message.hpp"
#include "common/websocket.hpp"
#include "web_server/live/session.hpp"
#include "web_server/ws_echo.hpp"

namespace web {

namespace {

using common::HttpError;
using Clock = std::chrono::steady_clock;

constexpr size_t kBufferSlack = 16 * 1024;  // input buffer beyond the largest head
constexpr size_t kFileChunk = 64 * 1024;
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

enum class Recv { ok, timed_out, gone };

// What the response to a request depends on, taken from its head before reading the body
// (which may move the buffer the head points into).
struct Exchange {
  bool head_only = false;
  bool keep_alive = false;
  int version_minor = 1;
};

class Connection {
 public:
  Connection(const common::Fd& fd, const Router& router, const ConnectionLimits& limits,
             const std::atomic<bool>& stopping)
      : fd_(fd),
        router_(router),
        limits_(limits),
        stopping_(stopping),
        capacity_(limits.http.max_head_bytes + kBufferSlack),
        in_(std::make_unique<char[]>(capacity_)) {}

  void run();

 private:
  bool serve_one();
  bool refuse(HttpError error, Exchange& exchange);
  Response answer(Response routed, const common::BodyFraming& framing, Got& body,
                  HttpError& error);
  Got read_head(HttpError& error);
  Got read_body(const common::BodyFraming& framing, HttpError& error, std::string* sink);
  Got read_chunked(HttpError& error, std::string* sink);
  void take_body(size_t size, std::string* sink);
  Recv receive(common::Millis wait);
  void use_timeout(common::Millis wait);
  void make_room();
  void upgrade(const common::BodyFraming& framing, Exchange& exchange, Response::Kind kind);
  bool respond(const Response& response, const Exchange& exchange,
               std::string_view extra_headers = {});
  bool send_file(const StaticFile& file);
  void write_head(const Response& response, uint64_t length, const Exchange& exchange,
                  std::string_view extra_headers);
  bool wants_continue(const common::BodyFraming& framing) const;
  std::string_view pending() const { return {in_.get() + begin_, end_ - begin_}; }

  const common::Fd& fd_;
  const Router& router_;
  const ConnectionLimits& limits_;
  const std::atomic<bool>& stopping_;
  const size_t capacity_;
  std::unique_ptr<char[]> in_;  // received bytes; [begin_, end_) not yet consumed
  size_t begin_ = 0;
  size_t end_ = 0;
  size_t head_size_ = 0;  // of the request in request_
  common::Millis timeout_{-1};  // the SO_RCVTIMEO now set
  common::RequestHead request_;
  std::string out_;                   // response head, reused for every response
  // For Kind::api requests: copies of the head's method and target (reading the body may move
  // the buffer they point into) and the body. Reused, so that steady traffic allocates nothing.
  std::string api_method_;
  std::string api_target_;
  std::string body_;
  std::unique_ptr<char[]> file_buf_;  // allocated for the first file sent
};

void Connection::run() {
  // Small responses must leave at once rather than wait for the peer's delayed ACK.
  if (!common::set_nodelay(fd_)) return;
  use_timeout(limits_.idle_timeout);
  while (serve_one()) {
  }
}

// One request and its response; false when the connection is to be closed.
bool Connection::serve_one() {
  HttpError error = HttpError::none;
  Exchange exchange;
  const Got head = read_head(error);
  if (head == Got::gone) return false;
  if (head == Got::error) return refuse(error, exchange);
  begin_ += head_size_;
  use_timeout(limits_.idle_timeout);  // the head's deadline may have shortened it
  exchange.head_only = request_.method == "HEAD";
  exchange.version_minor = request_.version_minor;
  exchange.keep_alive = common::keeps_alive(request_.version_minor, request_.headers) &&
                        !stopping_.load(std::memory_order_relaxed);
  const common::BodyFraming framing = common::request_body_framing(request_);
  if (framing.error != HttpError::none) return refuse(framing.error, exchange);
  Response routed = router_.route(request_.method, request_.target);
  if (routed.kind == Response::Kind::websocket || routed.kind == Response::Kind::live) {
    upgrade(framing, exchange, routed.kind);
    return false;
  }
  Got body = Got::request;
  const Response response = answer(std::move(routed), framing, body, error);
  if (body == Got::gone) return false;
  if (body == Got::error) return refuse(error, exchange);
  return respond(response, exchange) && exchange.keep_alive;
}

// Answers a refused request and closes. The client may still be sending the rest of it (a body
// over --max-body, say): drained first, so that the answer is not lost to a reset. Returns false.
bool Connection::refuse(HttpError error, Exchange& exchange) {
  exchange.keep_alive = false;
  if (respond(error_response(common::status_for(error)), exchange)) {
    common::drain_before_close(fd_, kDrainTime, kDrainBytes);
  }
  return false;
}

// Reads the body: dropped for a routed answer, kept and handed to the Router for Kind::api.
// `body` says how reading it ended; on anything but Got::request the answer is meaningless.
Response Connection::answer(Response routed, const common::BodyFraming& framing, Got& body,
                            HttpError& error) {
  if (routed.kind != Response::Kind::api) {
    body = read_body(framing, error, nullptr);
    return routed;  // moved: views and empty strings, no allocation
  }
  api_method_.assign(request_.method);
  api_target_.assign(request_.target);
  body_.clear();
  if (body_.capacity() > kKeptBodyCapacity) std::string().swap(body_);
  body = read_body(framing, error, &body_);
  if (body != Got::request) return {};
  return router_.answer(api_method_, api_target_, body_);
}

// Parses the next request head from the buffer, reading more as needed. The first byte of a
// head starts its request_timeout; before that the connection may idle for idle_timeout.
Got Connection::read_head(HttpError& error) {
  std::optional<Clock::time_point> deadline;
  for (;;) {
    if (begin_ < end_) {
      const common::ParseResult parse =
          common::parse_request_head(pending(), limits_.http, request_);
      if (parse.state == common::ParseState::complete) {
        head_size_ = parse.consumed;
        return Got::request;
      }
      error = parse.error;
      if (parse.state == common::ParseState::error) return Got::error;
      if (!deadline) deadline = Clock::now() + limits_.request_timeout;
    }
    common::Millis wait = limits_.idle_timeout;
    if (deadline) {
      wait = std::chrono::ceil<common::Millis>(*deadline - Clock::now());
      error = HttpError::request_timeout;
      if (wait.count() <= 0) return Got::error;
    }
    const Recv got = receive(wait);
    if (got == Recv::gone) return Got::gone;
    if (got == Recv::timed_out) return deadline ? Got::error : Got::gone;
  }
}

// Reads the request body into sink, or drops it when sink is null, so that the next request is
// found where it starts. Bodies over max_body are refused (413) before any byte is read.
Got Connection::read_body(const common::BodyFraming& framing, HttpError& error,
                          std::string* sink) {
  if (framing.kind == common::BodyKind::chunked) return read_chunked(error, sink);
  if (framing.kind != common::BodyKind::content_length) return Got::request;
  if (framing.length > limits_.max_body) {
    error = HttpError::payload_too_large;
    return Got::error;
  }
  if (wants_continue(framing) && !common::send_all(fd_, "HTTP/1.1 100 Continue\r\n\r\n")) {
    return Got::gone;
  }
  uint64_t left = framing.length;
  for (;;) {
    const size_t take = static_cast<size_t>(std::min<uint64_t>(left, end_ - begin_));
    take_body(take, sink);
    left -= take;
    if (left == 0) return Got::request;
    const Recv got = receive(limits_.idle_timeout);
    error = HttpError::request_timeout;
    if (got != Recv::ok) return got == Recv::timed_out ? Got::error : Got::gone;
  }
}

Got Connection::read_chunked(HttpError& error, std::string* sink) {
  common::ChunkedLimits chunked_limits;
  chunked_limits.max_body = limits_.max_body;
  common::ChunkedDecoder decoder(chunked_limits);
  if (wants_continue({}) && !common::send_all(fd_, "HTTP/1.1 100 Continue\r\n\r\n")) {
    return Got::gone;
  }
  for (;;) {
    if (begin_ < end_) {
      const common::ChunkedDecoder::Step step = decoder.feed(pending());
      if (sink != nullptr) sink->append(step.data);
      begin_ += step.consumed;
      error = step.error;
      if (error != HttpError::none) return Got::error;
      if (step.done) return Got::request;
      if (step.consumed > 0) continue;
    }
    const Recv got = receive(limits_.idle_timeout);
    error = HttpError::request_timeout;
    if (got != Recv::ok) return got == Recv::timed_out ? Got::error : Got::gone;
  }
}

// Consumes `size` buffered body bytes, appending them to sink if there is one.
void Connection::take_body(size_t size, std::string* sink) {
  if (sink != nullptr) sink->append(in_.get() + begin_, size);
  begin_ += size;
}

// Whether to send "100 Continue" before reading a body the client holds back until told to.
bool Connection::wants_continue(const common::BodyFraming& framing) const {
  if (request_.version_minor < 1) return false;
  const auto expect = request_.headers.get("Expect");
  if (!expect || !common::has_token(*expect, "100-continue")) return false;
  // A body already (completely) received needs no invitation.
  return framing.kind != common::BodyKind::content_length || framing.length > end_ - begin_;
}

Recv Connection::receive(common::Millis wait) {
  use_timeout(wait);
  make_room();
  if (end_ == capacity_) return Recv::gone;  // cannot happen: the parser refuses such heads
  const auto got = common::recv_some(fd_, in_.get() + end_, capacity_ - end_);
  if (!got) return got.error().code == common::Errc::timed_out ? Recv::timed_out : Recv::gone;
  if (*got == 0) return Recv::gone;
  end_ += *got;
  return Recv::ok;
}

void Connection::use_timeout(common::Millis wait) {
  if (wait == timeout_) return;
  // A failure here leaves the old timeout, which still bounds the wait; not worth a close.
  (void)common::set_io_timeouts(fd_, wait, limits_.idle_timeout);
  timeout_ = wait;
}

// Keeps room after end_ for a whole head: moves the unconsumed bytes to the front when a head
// starting at begin_ might not fit. Invalidates views into the buffer.
void Connection::make_room() {
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (begin_ > 0 && capacity_ - begin_ <= limits_.http.max_head_bytes) {
    std::memmove(in_.get(), in_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
}

// The WebSocket handshake shared by /ws (the echo) and /live (the push of store changes).
void Connection::upgrade(const common::BodyFraming& framing, Exchange& exchange,
                         Response::Kind kind) {
  exchange.keep_alive = false;
  const common::ws::HandshakeCheck check = common::ws::check_handshake(request_);
  if (check.status != 101 || framing.kind != common::BodyKind::none) {
    const int status = check.status == 101 ? 400 : check.status;
    respond(error_response(status), exchange,
            status == 426 ? "Sec-WebSocket-Version: 13\r\n" : "");
    return;
  }
  std::unique_ptr<live::Subscription> subscription;
  if (kind == Response::Kind::live) {
    subscription = router_.services().hub->subscribe();
    if (!subscription) {
      respond(error_response(503), exchange, "Retry-After: 5\r\n");
      return;
    }
  }
  out_.clear();
  common::append_status_line(out_, 101);
  common::append_header(out_, "Upgrade", "websocket");
  common::append_header(out_, "Connection", "Upgrade");
  common::append_header(out_, "Sec-WebSocket-Accept", common::ws::accept_key(check.key));
  common::append_header(out_, "X-Backend", router_.name());
  out_ += "\r\n";
  if (!common::send_all(fd_, out_)) return;
  if (subscription) {
    live::run_live(fd_, pending(), *subscription);
  } else {
    run_echo(fd_, pending(), limits_.max_ws_message);
  }
}

// Sends the response (head and body in one sendmsg when they fit); false if sending failed.
bool Connection::respond(const Response& response, const Exchange& exchange,
                         std::string_view extra_headers) {
  if (response.kind == Response::Kind::file) {
    write_head(response, response.file.size, exchange, extra_headers);
    if (exchange.head_only || response.file.size == 0) return common::send_all(fd_, out_).ok();
    return send_file(response.file);
  }
  const std::string_view payload = response.payload();
  write_head(response, payload.size(), exchange, extra_headers);
  const std::string_view body = exchange.head_only ? std::string_view() : payload;
  return common::send_all(fd_, {out_, body}).ok();
}

// Streams the file in chunks after the head (sent with the first chunk), so memory stays
// bounded whatever the file's size.
bool Connection::send_file(const StaticFile& file) {
  if (!file_buf_) file_buf_ = std::make_unique<char[]>(kFileChunk);
  std::string_view head = out_;
  for (uint64_t offset = 0; offset < file.size;) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(kFileChunk, file.size - offset));
    const auto got = read_file_at(file.fd, file_buf_.get(), want, offset);
    // A file that shrank since its size was sent cannot be completed: closing tells the client.
    if (!got || *got == 0) return false;
    if (!common::send_all(fd_, {head, std::string_view(file_buf_.get(), *got)})) return false;
    head = {};
    offset += *got;
  }
  return true;
}

void Connection::write_head(const Response& response, uint64_t length, const Exchange& exchange,
                            std::string_view extra_headers) {
  char digits[24];
  const char* end = std::to_chars(digits, digits + sizeof digits, length).ptr;
  out_.clear();
  common::append_status_line(out_, response.status);
  if (response.status != 204) {  // a 204 has no content and no Content-* fields
    common::append_header(out_, "Content-Type", response.content_type);
    common::append_header(out_, "Content-Length",
                          std::string_view(digits, static_cast<size_t>(end - digits)));
  }
  common::append_header(out_, "X-Backend", router_.name());
  if (!response.allow.empty()) common::append_header(out_, "Allow", response.allow);
  out_ += response.headers;
  out_ += extra_headers;
  if (!exchange.keep_alive) {
    common::append_header(out_, "Connection", "close");
  } else if (exchange.version_minor == 0) {
    common::append_header(out_, "Connection", "keep-alive");
  }
  out_ += "\r\n";
}

}  // namespace

void serve_connection(const common::Fd& client, const Router& router,
                      const ConnectionLimits& limits, const std::atomic<bool>& stopping) {
  Connection(client, router, limits, stopping).run();
}

}  // namespace web

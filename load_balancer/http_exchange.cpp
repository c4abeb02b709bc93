#include "load_balancer/http_exchange.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

#include "common/http_message.hpp"
#include "common/log.hpp"
#include "common/relay.hpp"
#include "load_balancer/header_rewrite.hpp"

namespace lb {

namespace {

// Each side's buffer starts here; it grows only for a head larger than this.
constexpr size_t kBufferBytes = 16 * 1024;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// After an error answer, how long and how much of what the client still sends is dropped.
constexpr common::Millis kLingerTime{2000};
constexpr uint64_t kLingerBytes = 4 * 1024 * 1024;

// Methods whose repetition has the effect of one request (RFC 9110 §9.2.2): the only ones a
// proxy may send again after a backend closed without answering.
bool is_idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" ||
         method == "DELETE" || method == "TRACE";
}

OutFraming request_framing(common::BodyKind kind) {
  switch (kind) {
    case common::BodyKind::content_length:
      return OutFraming::length;
    case common::BodyKind::chunked:
      return OutFraming::chunked;
    case common::BodyKind::none:
    case common::BodyKind::until_close:
      break;
  }
  return OutFraming::none;
}

// Each wait for request body bytes is bounded by client_timeout, and the whole body by
// client_timeout plus a second per kMinBodyRate bytes: a body trickling in at a byte per
// timeout gets 408 instead of holding its thread for ever.
common::BodyDeadline request_body_deadline(const HttpProxyOptions& options) {
  return {options.client_timeout, options.client_timeout, common::kMinBodyRate};
}

// The request body as sent to the backend, kept while it fits so that the request can be
// replayed; once a run does not fit, the request can no longer be replayed.
class KeptBody {
 public:
  KeptBody(std::string& buffer, size_t limit, bool wanted)
      : buffer_(buffer), limit_(limit), complete_(wanted) {
    buffer_.clear();
  }
  void add(const FramedRun& run) {
    if (!complete_) return;
    if (buffer_.size() + run.size() > limit_) {
      complete_ = false;
      buffer_.clear();
      return;
    }
    buffer_.append(run.size_line).append(run.data).append(run.data_end).append(run.last_chunk);
  }
  bool complete() const { return complete_; }  // every body byte sent so far is here
  std::string_view bytes() const { return buffer_; }

 private:
  std::string& buffer_;
  const size_t limit_;
  bool complete_;
};

// Sends runs to one connection. A head is held back to leave with the first run (one send for a
// small message), and counted bytes and kept runs are recorded for the caller.
class SocketSink final : public BodySink {
 public:
  SocketSink(common::Stream& out, std::string_view head, std::string_view replayed,
             uint64_t* counter, KeptBody* kept)
      : out_(out), head_(head), replayed_(replayed), counter_(counter), kept_(kept) {}

  common::Status write(const FramedRun& run) override {
    const size_t size = head_.size() + replayed_.size() + run.size();
    auto sent =
        out_.write({head_, replayed_, run.size_line, run.data, run.data_end, run.last_chunk});
    head_ = replayed_ = {};  // before keep(): replayed_ may point into the kept bytes
    if (kept_ != nullptr) kept_->add(run);
    if (sent && counter_ != nullptr) *counter_ += size;
    return sent;
  }

  common::Status flush() override { return write(FramedRun{}); }

 private:
  common::Stream& out_;
  std::string_view head_;
  std::string_view replayed_;
  uint64_t* counter_;
  KeptBody* kept_;
};

class Exchange {
 public:
  Exchange(SessionState& state, size_t head_size, const common::BodyFraming& framing);
  ExchangeResult run();

 private:
  // How one attempt on one backend ended: answered (a response, an error response, or a closed
  // connection: the exchange is over), or not: the backend sent no response byte, and `failure`
  // says why ("closed without a response: ..." or "sent no response within 10000ms"), `status`
  // what the client gets if the request is not replayed (502, or 504 for a timeout).
  struct Attempt {
    bool answered = true;
    std::string failure;
    int status = 502;
  };

  Attempt try_backend(Lease& lease);
  std::optional<Attempt> send_request();
  Attempt read_response(Lease& lease);
  Attempt unanswered(const Lease& lease, const common::HeadRead& head);
  Attempt final_response(Lease& lease, size_t head_size);
  Attempt tunnel(Lease& lease, size_t head_size);
  bool forward_interim();
  bool may_replay(const Lease& lease, const Attempt& attempt);
  Attempt backend_failed(const Lease& lease, int status, const std::string& why);
  Attempt respond(int status, std::string_view why, std::string_view extra_headers = {});
  Attempt client_gone(std::string_view why);
  std::string describe(std::string_view what) const;
  std::string_view connection_field(bool client_keeps) const;

  SessionState& s_;
  const HttpProxyOptions& options_;
  const bool upgrade_;
  const bool http10_;
  const bool keep_alive_;  // the client asked to keep the connection open
  const bool expects_continue_;
  const OutFraming request_out_;
  KeptBody kept_;
  const bool replayable_;  // the whole request will fit in kept_ (known before it is sent)
  bool continue_sent_ = false;
  bool fresh_only_ = false;  // after a stale idle connection: new connections only
  int replays_ = 0;          // replays after failures of new connections, bounded by retries
  int attempts_ = 0;
  int unanswered_status_ = 502;  // what the last unanswered attempt would have the client get
  std::string send_failure_;     // why the request could not be sent whole, if so
  ExchangeResult result_;
};

Exchange::Exchange(SessionState& state, size_t head_size, const common::BodyFraming& framing)
    : s_(state),
      options_(state.options),
      upgrade_(is_websocket_upgrade(state.request)),
      http10_(state.request.version_minor == 0),
      keep_alive_(common::keeps_alive(state.request.version_minor, state.request.headers)),
      expects_continue_(
          !http10_ &&
          common::has_token(state.request.headers.get("expect").value_or(""), "100-continue")),
      request_out_(request_framing(framing.kind)),
      kept_(state.kept_body, state.options.replay_buffer, is_idempotent(state.request.method)),
      replayable_(kept_.complete() && (framing.kind == common::BodyKind::none ||
                                       (framing.kind == common::BodyKind::content_length &&
                                        framing.length <= state.options.replay_buffer))) {
  s_.tried.clear();
  rewrite_request_head(s_.request, {s_.client_ip, s_.via, request_out_, framing.length, upgrade_},
                       s_.request_head);
  // From here on the parsed head is not used: the body reads may move the bytes it points to.
  s_.client_in.consume(head_size);
  s_.request_body.start(framing, options_.max_body);
  result_.bytes_in = head_size;
}

ExchangeResult Exchange::run() {
  for (;;) {
    const LeaseOptions how{options_.connect_timeout, options_.server_timeout,
                           fresh_only_ || upgrade_, replayable_, s_.affinity};
    auto lease = lease_upstream(s_.pool, &s_.upstreams, s_.tried, how);
    if (!lease && attempts_ == 0) {
      respond(503, lease.error().message, "Retry-After: 1\r\n");
      break;
    }
    if (!lease) {
      respond(unanswered_status_, "no backend left to replay on: " + lease.error().message);
      break;
    }
    const Attempt attempt = try_backend(*lease);
    if (attempt.answered || !may_replay(*lease, attempt)) break;
  }
  result_.bytes_in += s_.request_body.wire_bytes();
  return result_;
}

Exchange::Attempt Exchange::try_backend(Lease& lease) {
  const Backend::Session counted(*lease.backend);
  ++attempts_;
  send_failure_.clear();
  s_.upstream_socket.emplace(lease.fd);
  s_.upstream_in.attach(*s_.upstream_socket, options_.server_timeout);
  if (auto ended = send_request()) return *ended;
  return read_response(lease);
}

// Sends the head and the body (after a replay: the kept body first, then the rest as the client
// sends it). nullopt when the request went out whole, or when the backend stopped taking it, in
// which case it may still have answered: read_response() finds out.
std::optional<Exchange::Attempt> Exchange::send_request() {
  SocketSink sink(s_.upstream_in, s_.request_head, kept_.bytes(), nullptr, &kept_);
  // A client that waits for "100 Continue" gets it once its head is with a backend.
  if (expects_continue_ && !continue_sent_ && !s_.request_body.done() &&
      s_.client_in.data().empty()) {
    if (auto s = sink.flush(); !s) {
      send_failure_ = s.error().message;
      return std::nullopt;
    }
    if (!s_.client_in.write(kContinue)) return client_gone("closed before its body");
    result_.bytes_out += kContinue.size();
    continue_sent_ = true;
  }
  const PumpEnd end =
      pump_body(s_.client_in, request_body_deadline(options_), s_.request_body, request_out_, sink);
  switch (end.kind) {
    case PumpEnd::Kind::write_failed:
      send_failure_ = end.error.message;
      return std::nullopt;
    case PumpEnd::Kind::read_failed:
      if (end.error.code == common::Errc::timed_out) {
        return respond(408, "request body timed out");
      }
      return client_gone("closed during its body: " + end.error.message);
    case PumpEnd::Kind::bad_body:
      return respond(common::status_for(end.http_error),
                     std::string("request body: ") + std::string(end.reason));
    case PumpEnd::Kind::done:
      break;
  }
  return std::nullopt;
}

// The response head, within server_timeout to its first byte and as much again from there to
// its end; 1xx responses before it are forwarded.
Exchange::Attempt Exchange::read_response(Lease& lease) {
  common::Stream& up = s_.upstream_in;
  for (;;) {
    const common::HeadDeadline deadline{common::Clock::now() + options_.server_timeout,
                                        options_.server_timeout};
    const common::HeadRead head = up.read_head(s_.response, s_.limits, deadline);
    if (head.end != common::ReadEnd::complete) return unanswered(lease, head);
    const int status = s_.response.status;
    if (status == 101 && !upgrade_) {
      return backend_failed(lease, 502, "101 Switching Protocols that nobody asked for");
    }
    if (status == 101 && !switches_to_websocket(s_.response)) {
      return backend_failed(lease, 502,
                            "101 Switching Protocols to another protocol than websocket");
    }
    if (status >= 200 || status == 101) return final_response(lease, head.size);
    if (!forward_interim()) return client_gone("closed during the response");
    up.consume(head.size);
  }
}

// A response head that did not come whole: refused, timed out, or cut short by a close.
Exchange::Attempt Exchange::unanswered(const Lease& lease, const common::HeadRead& head) {
  const bool nothing = s_.upstream_in.received() == 0;
  if (head.end == common::ReadEnd::invalid) {
    return backend_failed(lease, 502, "invalid response head: " + std::string(head.reason));
  }
  if (head.end == common::ReadEnd::timed_out) {
    // Nothing came back: like a backend that closed, one that hangs may have the request
    // replayed elsewhere (nginx's proxy_next_upstream timeout), which a cut link needs.
    if (nothing) {
      return {false,
              "sent no response within " + std::to_string(options_.server_timeout.count()) + "ms",
              504};
    }
    return backend_failed(lease, 504, "no response: " + head.failure.message);
  }
  std::string why = !send_failure_.empty()                ? send_failure_
                    : head.end == common::ReadEnd::closed ? "closed the connection"
                                                          : head.failure.message;
  if (nothing) return {false, "closed without a response: " + why};
  return backend_failed(lease, 502, "response head cut short: " + why);
}

// 1xx responses (100 Continue, 103 Early Hints) go on to an HTTP/1.1 client before the final
// one; an HTTP/1.0 client does not know them (RFC 9110 §15.2). False when the client is gone.
bool Exchange::forward_interim() {
  if (http10_) return true;
  rewrite_response_head(s_.response, {s_.via, OutFraming::none, 0, {}}, s_.response_head);
  if (!s_.client_in.write(s_.response_head)) return false;
  result_.bytes_out += s_.response_head.size();
  return true;
}

Exchange::Attempt Exchange::final_response(Lease& lease, size_t head_size) {
  const common::ResponseHead& response = s_.response;
  if (response.status == 101) return tunnel(lease, head_size);
  const common::BodyFraming in = common::response_body_framing(response, s_.method);
  if (in.error != common::HttpError::none) {
    return backend_failed(lease, 502, "invalid response framing: " + std::string(in.reason));
  }
  OutFraming out = in.kind == common::BodyKind::none             ? OutFraming::none
                   : in.kind == common::BodyKind::content_length ? OutFraming::length
                   : http10_                                     ? OutFraming::close
                                                                 : OutFraming::chunked;
  // A client whose request body was not read whole (the backend answered early) must go.
  // A draining balancer says so on every response: the client's next request goes elsewhere.
  const bool client_keeps =
      keep_alive_ && out != OutFraming::close && s_.request_body.done() && !s_.drain.draining();
  const bool backend_keeps = !upgrade_ && send_failure_.empty() &&
                             in.kind != common::BodyKind::until_close &&
                             common::keeps_alive(response.version_minor, response.headers);
  rewrite_response_head(response, {s_.via, out, in.length, connection_field(client_keeps)},
                        s_.response_head);
  result_.status = response.status;
  result_.backend = lease.backend;
  s_.upstream_in.consume(head_size);  // the parsed head is not used after this
  s_.response_body.start(in, 0);
  const uint64_t sent_before = result_.bytes_out;
  SocketSink sink(s_.client_in, s_.response_head, {}, &result_.bytes_out, nullptr);
  const PumpEnd end = pump_body(s_.upstream_in, {.each_read = options_.server_timeout},
                                s_.response_body, out, sink);
  if (end.kind == PumpEnd::Kind::write_failed) return client_gone("closed during the response");
  if (end.kind == PumpEnd::Kind::bad_body && result_.bytes_out == sent_before) {
    // Refused before its head left: the client can still be told.
    return backend_failed(lease, 502, "invalid response body: " + std::string(end.reason));
  }
  if (end.kind != PumpEnd::Kind::done) {
    // Part of the response is out: only closing tells the client it is incomplete.
    const std::string why = end.kind == PumpEnd::Kind::bad_body
                                ? "invalid response body: " + std::string(end.reason)
                                : "response body cut short: " + end.error.message;
    lease.backend->record_traffic(false, describe(lease.backend->name() + " " + why));
    common::log("client ", s_.peer_name, ": ", describe(lease.backend->name() + " " + why),
                "; closing the client connection");
    return client_gone({});
  }
  lease.backend->record_traffic(true, {});
  result_.keep_alive = client_keeps;
  if (backend_keeps && s_.upstream_in.data().empty()) {
    s_.upstreams.put(*lease.backend, std::move(lease.fd));
  }
  return {};
}

// A 101 to a WebSocket handshake: from now on the two connections are one byte stream. Bytes
// either side sent past its head already belong to it and go first.
Exchange::Attempt Exchange::tunnel(Lease& lease, size_t head_size) {
  lease.backend->record_traffic(true, {});
  rewrite_response_head(s_.response, {s_.via, OutFraming::none, 0, "Upgrade"}, s_.response_head);
  result_.status = 101;
  result_.backend = lease.backend;
  s_.upstream_in.consume(head_size);
  const std::string_view from_backend = s_.upstream_in.data();
  if (!s_.client_in.write({s_.response_head, from_backend})) {
    return client_gone("closed during the upgrade");
  }
  result_.bytes_out += s_.response_head.size() + from_backend.size();
  const std::string_view from_client = s_.client_in.data();
  if (!s_.upstream_in.write(from_client)) return client_gone({});
  result_.bytes_in += from_client.size();
  s_.client_in.consume(from_client.size());
  const common::RelayResult relayed = common::relay(s_.client, lease.fd,
                                                    {.idle_timeout = options_.tunnel_timeout,
                                                     .a_name = s_.peer_name,
                                                     .b_name = lease.backend->name()});
  result_.bytes_in += relayed.a_to_b;
  result_.bytes_out += relayed.b_to_a;
  return {};
}

// After a backend closed without answering or sent nothing in time: replays the request when
// that is safe and the retries allow it (true), else answers the attempt's status (false). A
// stale idle connection (closed by the backend while idle) is not the backend's fault and costs
// no retry: the replay goes out on a new connection.
bool Exchange::may_replay(const Lease& lease, const Attempt& attempt) {
  const bool stale = lease.reused && attempt.status != 504;
  const std::string what =
      lease.backend->name() + (lease.reused ? " (idle connection) " : " ") + attempt.failure;
  unanswered_status_ = attempt.status;
  if (!stale) {
    lease.backend->record_traffic(false, describe(what));
    s_.tried.push_back(lease.backend);
  }
  const bool safe = is_idempotent(s_.method) && kept_.complete();
  const bool allowed = stale || replays_ < options_.retries;
  if (!safe || !allowed) {
    respond(attempt.status, what + (safe ? "; no retries left" : "; not safe to replay"));
    return false;
  }
  if (stale) {
    fresh_only_ = true;
  } else {
    ++replays_;
  }
  lease.backend->stats().record_retry();
  ++result_.retries;
  common::log("client ", s_.peer_name, ": ", describe(what), "; retry ", result_.retries);
  return true;
}

// A backend failed this request after it was sent: count it against the backend's health and
// answer `status`.
Exchange::Attempt Exchange::backend_failed(const Lease& lease, int status, const std::string& why) {
  const std::string what = lease.backend->name() + ": " + why;
  lease.backend->record_traffic(false, describe(what));
  return respond(status, what);
}

Exchange::Attempt Exchange::respond(int status, std::string_view why,
                                    std::string_view extra_headers) {
  const ExchangeResult sent = respond_error(s_, status, describe(why), extra_headers);
  result_.status = sent.status;
  result_.bytes_out += sent.bytes_out;
  result_.keep_alive = false;
  return {};
}

Exchange::Attempt Exchange::client_gone(std::string_view why) {
  if (!why.empty()) common::log("client ", s_.peer_name, ": ", describe(why));
  result_.keep_alive = false;
  return {};
}

// "GET /path: <what>", for logs.
std::string Exchange::describe(std::string_view what) const {
  std::string out;
  out.reserve(s_.method.size() + s_.target.size() + what.size() + 3);
  out.append(s_.method).append(" ").append(s_.target).append(": ").append(what);
  return out;
}

std::string_view Exchange::connection_field(bool client_keeps) const {
  if (!client_keeps) return "close";
  return http10_ ? "keep-alive" : std::string_view{};
}

size_t buffer_limit(const HttpProxyOptions& options) {
  // Room for a head one byte over the limit, so that the parser sees it is too large.
  return std::max(kBufferBytes, options.max_header_bytes + 1);
}

}  // namespace

SessionState::SessionState(const common::Fd& client_fd, const common::Address& peer,
                           BackendPool& backends, UpstreamPool& idle,
                           const HttpProxyOptions& proxy_options)
    : client(client_fd),
      peer_name(peer.to_string()),
      client_ip(peer.host()),
      affinity(affinity_key(peer)),
      via("1.1 " + proxy_options.via_name),
      pool(backends),
      upstreams(idle),
      options(proxy_options),
      limits{proxy_options.max_header_bytes, proxy_options.max_request_line,
             proxy_options.max_headers},
      drain(proxy_options.drain, client_fd),
      client_socket(client_fd),
      client_in(kBufferBytes, buffer_limit(proxy_options)),
      upstream_in(kBufferBytes, buffer_limit(proxy_options)) {}

ExchangeResult run_exchange(SessionState& state, size_t head_size,
                            const common::BodyFraming& framing) {
  return Exchange(state, head_size, framing).run();
}

ExchangeResult respond_error(SessionState& state, int status, std::string_view why,
                             std::string_view extra_headers) {
  const std::string_view text = common::status_text(status);
  common::log("client ", state.peer_name, ": ", status, " ", text, ": ", why);
  std::string body = std::to_string(status);
  body.append(" ").append(text).append("\n");
  const std::string response = common::simple_response(status, body, true, extra_headers);
  ExchangeResult result;
  result.status = status;
  if (state.options.stats != nullptr) state.options.stats->record_error(status);
  if (state.client_in.write(response)) {
    result.bytes_out = response.size();
    state.client_in.linger_before_close(kLingerTime, kLingerBytes);
  }
  return result;
}

}  // namespace lb

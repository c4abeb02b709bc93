#include "load_balancer/http_proxy.hpp"

#include <chrono>
#include <cstring>
#include <optional>

#include "common/log.hpp"
#include "load_balancer/http_exchange.hpp"

namespace lb {

namespace {

using Clock = std::chrono::steady_clock;

struct HeadRead {
  enum class Kind {
    complete,   // state.request holds it; `size` bytes of client_in
    closed,     // the client closed, or stayed silent: end without a word
    timed_out,  // part of a head came, the rest not in time: 408
    invalid,    // the parser refused it: `status`, `reason`
  };
  Kind kind = Kind::closed;
  size_t size = 0;
  int status = 0;
  std::string_view reason;
  Clock::time_point started{};  // when its first byte was there
};

// Worth running the parser: a line ended in the bytes not yet looked at, or the request line is
// already too long to wait for its end. A head that trickles in byte by byte is thus parsed
// once per line, not once per byte.
bool worth_parsing(std::string_view data, size_t scanned, const common::HttpLimits& limits) {
  if (data.size() > limits.max_request_line) return true;
  return std::memchr(data.data() + scanned, '\n', data.size() - scanned) != nullptr;
}

// The time one request head may take: `first_byte` until its first byte (0 = forever), then
// `limit` from that byte to its end, however slowly the bytes come (0 = no limit).
class HeadTimer {
 public:
  HeadTimer(common::Millis first_byte, common::Millis limit)
      : first_byte_(first_byte), limit_(limit) {}
  void start() {
    if (started_) return;
    started_ = true;
    started_at_ = Clock::now();
  }
  bool started() const { return started_; }
  Clock::time_point started_at() const { return started_at_; }
  // How long the next read may wait (0 = forever); nullopt once the head is out of time.
  std::optional<common::Millis> wait() const {
    if (!started_) return first_byte_;
    if (limit_.count() == 0) return common::Millis{0};
    const auto left = std::chrono::ceil<common::Millis>(started_at_ + limit_ - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    return left;
  }

 private:
  const common::Millis first_byte_;
  const common::Millis limit_;
  bool started_ = false;
  Clock::time_point started_at_{};
};

HeadRead parsed_head(const common::ParseResult& parsed, Clock::time_point started) {
  if (parsed.state == common::ParseState::complete) {
    return {HeadRead::Kind::complete, parsed.consumed, 0, {}, started};
  }
  return {HeadRead::Kind::invalid, 0, common::status_for(parsed.error), parsed.reason, started};
}

// Waits for one complete request head, within HeadTimer's bounds (SO_RCVTIMEO is set to what is
// left before each read, so that a head trickling in byte by byte still ends in time).
HeadRead read_request_head(SessionState& state, common::Millis first_byte) {
  SocketReader& in = state.client_in;
  HeadTimer timer(first_byte, state.options.client_timeout);
  if (!in.data().empty()) {  // pipelined behind the previous request
    timer.start();
    state.drain.busy();
  }
  for (size_t scanned = 0;;) {
    const std::string_view data = in.data();
    if (!common::may_begin_request(data)) {
      return {HeadRead::Kind::invalid, 0, 400, "bytes that cannot begin a request",
              timer.started_at()};
    }
    if (worth_parsing(data, scanned, state.limits)) {
      const auto parsed = common::parse_request_head(data, state.limits, state.request);
      if (parsed.state != common::ParseState::incomplete) {
        return parsed_head(parsed, timer.started_at());
      }
    }
    scanned = data.size();
    const auto wait = timer.wait();
    if (!wait) return {HeadRead::Kind::timed_out, 0, 408, {}, timer.started_at()};
    auto n = in.read(*wait);
    if (!n && timer.started() && n.error().code == common::Errc::timed_out) {
      return {HeadRead::Kind::timed_out, 0, 408, {}, timer.started_at()};
    }
    if (!n || *n == 0) return {HeadRead::Kind::closed, 0, 0, {}, timer.started_at()};
    timer.start();
    state.drain.busy();
  }
}

// The checks a request passes before any backend sees it; then the exchange.
ExchangeResult serve_request(SessionState& state, size_t head_size) {
  const common::RequestHead& request = state.request;
  // A reverse proxy is no forward proxy: a tunnel to anywhere is not its to open.
  if (request.method == "CONNECT") return respond_error(state, 405, "CONNECT refused");
  const common::BodyFraming framing = common::request_body_framing(request);
  if (framing.error != common::HttpError::none) {
    return respond_error(state, common::status_for(framing.error), framing.reason);
  }
  const uint64_t max_body = state.options.max_body;
  if (max_body > 0 && framing.kind == common::BodyKind::content_length &&
      framing.length > max_body) {
    return respond_error(state, 413, "Content-Length over the body limit");
  }
  return run_exchange(state, head_size, framing);
}

void log_access(const SessionState& state, const ExchangeResult& result,
                std::chrono::microseconds duration) {
  AccessRecord record;
  record.client = state.peer_name;
  record.method = state.method;
  record.target = state.target;
  record.status = result.status;
  if (result.backend != nullptr) record.backend = result.backend->name();
  record.bytes_in = result.bytes_in;
  record.bytes_out = result.bytes_out;
  record.duration = duration;
  record.retries = result.retries;
  state.options.access_log->write(record);
}

// Reads and serves one request; false when the connection must end.
bool serve_one(SessionState& state, common::Millis first_byte) {
  const HeadRead head = read_request_head(state, first_byte);
  ExchangeResult result;
  state.method.clear();
  state.target.clear();
  switch (head.kind) {
    case HeadRead::Kind::closed:
      return false;
    case HeadRead::Kind::timed_out:
      result = respond_error(state, 408, "request head timed out");
      break;
    case HeadRead::Kind::invalid:
      result = respond_error(state, head.status, head.reason);
      break;
    case HeadRead::Kind::complete:
      state.method.assign(state.request.method);
      state.target.assign(state.request.target);
      result = serve_request(state, head.size);
      break;
  }
  if (head.kind != HeadRead::Kind::complete) result.bytes_in = state.client_in.data().size();
  const auto duration =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - head.started);
  if (result.backend != nullptr) result.backend->stats().record_response(result.status, duration);
  if (state.options.access_log != nullptr) log_access(state, result, duration);
  return result.keep_alive;
}

}  // namespace

void serve_http_session(const common::Fd& client, const common::Address& peer, BackendPool& pool,
                        UpstreamPool& upstreams, const HttpProxyOptions& options) {
  const common::Millis client_timeout = options.client_timeout;
  if (auto s = common::set_io_timeouts(client, client_timeout, client_timeout); !s) {
    common::log("client ", peer.to_string(), ": ", s.error().message);
    return;
  }
  // Small responses are written whole; Nagle would only hold back their last segment.
  (void)common::set_nodelay(client);
  SessionState state(client, peer, pool, upstreams, options);
  state.client_in.attach(client, client_timeout);
  // The first request must come within client_timeout of the accept: a connection that sends
  // nothing holds a thread as surely as a slow one.
  if (!serve_one(state, client_timeout)) return;
  while (state.drain.wait_next() && serve_one(state, options.idle_timeout)) {
  }
}

}  // namespace lb

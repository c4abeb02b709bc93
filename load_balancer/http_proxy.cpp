#include "load_balancer/http_proxy.hpp"

#include <chrono>

#include "common/log.hpp"
#include "load_balancer/http_exchange.hpp"

namespace lb {

namespace {

using common::Clock;

// Waits for one complete request head: `first_byte` (0 = forever) until its first byte, then
// client_timeout from that byte to its end, however slowly the bytes come (408 past it).
common::HeadRead read_request_head(SessionState& state, common::Millis first_byte) {
  common::HeadDeadline deadline;
  if (first_byte.count() > 0) deadline.first_byte = Clock::now() + first_byte;
  deadline.whole = state.options.client_timeout;
  common::HeadRead head = state.client_in.read_head(state.request, state.limits, deadline,
                                                    [&state] { state.drain.busy(); });
  // Silence before the first byte, or a reset, ends the connection without a word.
  if (head.end == common::ReadEnd::timed_out && !head.started) head.end = common::ReadEnd::closed;
  if (head.end == common::ReadEnd::failed) head.end = common::ReadEnd::closed;
  return head;
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
  const common::HeadRead head = read_request_head(state, first_byte);
  ExchangeResult result;
  state.method.clear();
  state.target.clear();
  switch (head.end) {
    case common::ReadEnd::closed:
    case common::ReadEnd::failed:
      return false;
    case common::ReadEnd::timed_out:
      result = respond_error(state, 408, "request head timed out");
      break;
    case common::ReadEnd::invalid:
      result = respond_error(state, common::status_for(head.error), head.reason);
      break;
    case common::ReadEnd::complete:
      state.method.assign(state.request.method);
      state.target.assign(state.request.target);
      result = serve_request(state, head.size);
      break;
  }
  if (head.end != common::ReadEnd::complete) result.bytes_in = state.client_in.data().size();
  const auto duration =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - head.started_at);
  if (result.backend != nullptr) result.backend->stats().record_response(result.status, duration);
  if (state.options.access_log != nullptr) log_access(state, result, duration);
  return result.keep_alive;
}

}  // namespace

void serve_http_session(const common::Fd& client, const common::Address& peer, BackendPool& pool,
                        UpstreamPool& upstreams, const HttpProxyOptions& options) {
  const common::Millis client_timeout = options.client_timeout;
  SessionState state(client, peer, pool, upstreams, options);
  if (auto s = state.client_socket.set_timeouts(client_timeout, client_timeout); !s) {
    common::log("client ", peer.to_string(), ": ", s.error().message);
    return;
  }
  // Small responses are written whole; Nagle would only hold back their last segment.
  (void)common::set_nodelay(client);
  state.client_in.attach(state.client_socket, client_timeout);
  // The first request must come within client_timeout of the accept: a connection that sends
  // nothing holds a thread as surely as a slow one.
  if (!serve_one(state, client_timeout)) return;
  while (state.drain.wait_next() && serve_one(state, options.idle_timeout)) {
  }
}

}  // namespace lb

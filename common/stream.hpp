// A connection's buffered reads and writes with deadlines, over any Transport: bytes received
// past the current message (a pipelined request, the start of a body) stay for the next step.
// One buffer per connection, reused for every message; the read timeout is changed only when a
// wait asks for another one (within 5%), so a steady keep-alive exchange costs no setsockopt.
// Used by one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string_view>

#include "common/http_parser.hpp"
#include "common/result.hpp"
#include "common/transport.hpp"

namespace common {

using Clock = std::chrono::steady_clock;

// How the wait for a message head is bounded.
struct HeadDeadline {
  Clock::time_point first_byte = Clock::time_point::max();  // max() = wait forever
  // Once its first byte is there (or was already buffered), the head must end within this of
  // that byte (0 = no bound); nullopt: `first_byte` bounds the whole head.
  std::optional<Millis> whole;
};

// How the wait for a body is bounded: each read, and the body as a whole, which must arrive
// within `grace` plus one second per `min_rate` bytes received, so that a body trickling in at a
// byte per read timeout cannot hold the connection for ever, yet a large one at a fair rate ends.
struct BodyDeadline {
  Millis each_read{0};             // 0 = only the whole bounds it
  Millis grace{0};                 // 0 = no bound on the whole
  uint64_t min_rate = UINT64_MAX;  // bytes per second; UINT64_MAX: `grace` alone

  // When the next read must end, for a body started at `started` of which `bytes` came.
  Clock::time_point next_read_until(Clock::time_point started, uint64_t bytes) const;
};

// The rate below which a client's request body is cut off with 408 once its grace (the client
// or request timeout) is used up: Apache's mod_reqtimeout MinRate default, 500 bytes/s.
inline constexpr uint64_t kMinBodyRate = 500;

// How reading a head or a body ended.
enum class ReadEnd {
  complete,   // a head: its `size` bytes start data(); a body: consumed whole
  closed,     // the peer closed first (before a head's first byte, or in the message)
  timed_out,  // a deadline passed
  invalid,    // the parser refused the bytes: `error`, `reason`
  failed,     // the transport failed (reset, buffer full...): `failure`
};

struct HeadRead {
  ReadEnd end = ReadEnd::closed;
  size_t size = 0;
  bool started = false;  // a byte of this head had arrived
  Clock::time_point started_at{};
  HttpError error = HttpError::none;
  std::string_view reason;
  Error failure{Errc::io_error, {}};
};

struct BodyRead {
  ReadEnd end = ReadEnd::complete;
  uint64_t bytes = 0;  // body bytes (decoded) taken
  HttpError error = HttpError::none;
  std::string_view reason;
  Error failure{Errc::io_error, {}};
};

class Stream {
 public:
  // Starts with `capacity` bytes; grows (doubling) up to `max_capacity` only when unread bytes
  // fill it, as a large message head does.
  Stream(size_t capacity, size_t max_capacity);

  // Reads and writes `transport` from now on, starting empty. Its read and write timeouts are
  // both `timeout` already; the write timeout stays so. `transport` must outlive its use here.
  void attach(Transport& transport, Millis timeout);
  Transport& transport() const { return *transport_; }

  // The bytes received and not yet consumed; valid until the next read.
  std::string_view data() const { return {buffer_.get() + begin_, end_ - begin_}; }
  void consume(size_t n);
  uint64_t received() const { return received_; }  // bytes read since attach()

  // One read of what is available, waiting at most `wait` (0 = forever) or until `deadline`:
  // the byte count, 0 when the peer closed, or the error (Errc::timed_out, reset...).
  // Errc::limit_exceeded when unread bytes fill max_capacity.
  Result<size_t> read(Millis wait);
  Result<size_t> read_until(Clock::time_point deadline);

  // Every byte of every piece, each wait bounded by the write timeout.
  Status write(std::initializer_list<std::string_view> pieces);
  Status write(std::string_view data) { return write({data}); }

  // Parses the next head into `out`, reading as needed; `on_first_byte` (if any) is called once
  // a byte of it is there. The head's views point into data() until the next read or consume.
  HeadRead read_head(RequestHead& out, const HttpLimits& limits, const HeadDeadline& deadline,
                     const std::function<void()>& on_first_byte = {});
  HeadRead read_head(ResponseHead& out, const HttpLimits& limits, const HeadDeadline& deadline);

  // Takes a body framed as `framing` (content_length, chunked, until_close; none is empty),
  // handing each run of body bytes to `sink` (if any) as it arrives. A chunked body over
  // `max_body` is refused as invalid (payload_too_large); a known length the caller checks.
  BodyRead read_body(const BodyFraming& framing, uint64_t max_body, const BodyDeadline& deadline,
                     const std::function<void(std::string_view)>& sink = {});

  // Before closing after an answer the peer may not have read all of (a 413 to a client still
  // uploading): closing a socket with unread input sends RST, which can destroy the answer
  // before the peer reads it. So our side ends first, then what the peer still sends is dropped
  // until it closes, `wait` passes or `max_bytes` went.
  void linger_before_close(Millis wait, uint64_t max_bytes);

 private:
  bool make_room();
  Status arm(Millis wait);
  template <class Head>
  HeadRead read_any_head(Head& out, const HttpLimits& limits, const HeadDeadline& deadline,
                         const std::function<void()>& on_first_byte);

  std::unique_ptr<char[]> buffer_;
  size_t capacity_;
  const size_t max_capacity_;
  size_t begin_ = 0;  // buffer_[begin_, end_) is unread
  size_t end_ = 0;
  uint64_t received_ = 0;
  Transport* transport_ = nullptr;
  Millis read_timeout_{0};  // what the transport has now
  Millis write_timeout_{0};
};

}  // namespace common

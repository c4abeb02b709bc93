#include "common/stream.hpp"

#include <algorithm>
#include <cstring>

#include "common/body_reader.hpp"

namespace common {

namespace {

constexpr Clock::time_point kForever = Clock::time_point::max();

// Worth running the parser: a line ended in the bytes not yet looked at, or the head is already
// too long to wait for its end. A head that trickles in byte by byte is thus parsed once per
// line, not once per byte.
bool worth_parsing(std::string_view data, size_t scanned, const HttpLimits& limits) {
  if (data.size() > limits.max_request_line || data.size() > limits.max_head_bytes) return true;
  return std::memchr(data.data() + scanned, '\n', data.size() - scanned) != nullptr;
}

// A request whose first bytes can begin none (a TLS ClientHello on the plain port) is refused at
// once, not when its deadline passes: the parser refuses whatever may_begin_request does.
bool doomed(std::string_view data, const RequestHead&) { return !may_begin_request(data); }
bool doomed(std::string_view, const ResponseHead&) { return false; }

ParseResult parse_head(std::string_view data, const HttpLimits& limits, RequestHead& out) {
  return parse_request_head(data, limits, out);
}
ParseResult parse_head(std::string_view data, const HttpLimits& limits, ResponseHead& out) {
  return parse_response_head(data, limits, out);
}

template <class Read>
Read ended(Read got, ReadEnd end) {
  got.end = end;
  return got;
}

// The end of a read error: a timeout, or anything else the transport reports.
ReadEnd end_of(const Error& error) {
  return error.code == Errc::timed_out ? ReadEnd::timed_out : ReadEnd::failed;
}

}  // namespace

Clock::time_point BodyDeadline::next_read_until(Clock::time_point started, uint64_t bytes) const {
  Clock::time_point until = kForever;
  if (each_read.count() > 0) until = Clock::now() + each_read;
  if (grace.count() > 0) {
    const std::chrono::duration<double> earned(static_cast<double>(bytes) /
                                               static_cast<double>(min_rate));
    until = std::min(until, started + grace + std::chrono::duration_cast<Clock::duration>(earned));
  }
  return until;
}

Stream::Stream(size_t capacity, size_t max_capacity)
    : buffer_(new char[capacity]),
      capacity_(capacity),
      max_capacity_(std::max(capacity, max_capacity)) {}

void Stream::attach(Transport& transport, Millis timeout) {
  transport_ = &transport;
  begin_ = end_ = 0;
  received_ = 0;
  read_timeout_ = write_timeout_ = timeout;
}

void Stream::consume(size_t n) {
  begin_ += std::min(n, end_ - begin_);
  if (begin_ == end_) begin_ = end_ = 0;  // the cheap common case: nothing to move later
}

// Space at the end: unread bytes move to the front first, and the buffer grows only when they
// fill it.
bool Stream::make_room() {
  if (end_ < capacity_) return true;
  if (begin_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
    return true;
  }
  if (capacity_ == max_capacity_) return false;
  const size_t grown = std::min(capacity_ * 2, max_capacity_);
  std::unique_ptr<char[]> bigger(new char[grown]);
  std::memcpy(bigger.get(), buffer_.get(), end_);
  buffer_ = std::move(bigger);
  capacity_ = grown;
  return true;
}

// Sets the read timeout to `wait` unless the one set is within 5% of it: closer would cost a
// setsockopt before nearly every read of a deadline that moves on.
Status Stream::arm(Millis wait) {
  if (wait == read_timeout_) return Ok{};
  if (wait.count() > 0 && read_timeout_.count() > 0) {
    const Millis slack = std::max(Millis{1}, wait / 20);
    if (read_timeout_ <= wait + slack && read_timeout_ + slack >= wait) return Ok{};
  }
  if (auto s = transport_->set_timeouts(wait, write_timeout_); !s) return s.error();
  read_timeout_ = wait;
  return Ok{};
}

Result<size_t> Stream::read(Millis wait) {
  return read_until(wait.count() == 0 ? kForever : Clock::now() + wait);
}

Result<size_t> Stream::read_until(Clock::time_point deadline) {
  if (!make_room()) return Error{Errc::limit_exceeded, "read buffer full"};
  for (;;) {
    Millis wait{0};
    if (deadline != kForever) {
      wait = std::chrono::ceil<Millis>(deadline - Clock::now());
      if (wait.count() <= 0) return Error{Errc::timed_out, "read timed out"};
    }
    if (auto s = arm(wait); !s) return s.error();
    auto n = transport_->read_some(buffer_.get() + end_, capacity_ - end_);
    // A read timeout a little shorter than the time left is not yet the deadline.
    if (!n && n.error().code == Errc::timed_out && deadline != kForever &&
        Clock::now() < deadline) {
      continue;
    }
    if (n) {
      end_ += *n;
      received_ += *n;
    }
    return n;
  }
}

void Stream::linger_before_close(Millis wait, uint64_t max_bytes) {
  transport_->shutdown_sending();
  const Clock::time_point deadline = Clock::now() + wait;
  for (uint64_t dropped = 0; dropped < max_bytes;) {
    consume(end_ - begin_);
    const auto n = read_until(deadline);
    if (!n || *n == 0) return;
    dropped += *n;
  }
}

Status Stream::write(std::initializer_list<std::string_view> pieces) {
  return transport_->write_all(pieces);
}

HeadRead Stream::read_head(RequestHead& out, const HttpLimits& limits, const HeadDeadline& deadline,
                           const std::function<void()>& on_first_byte) {
  return read_any_head(out, limits, deadline, on_first_byte);
}

HeadRead Stream::read_head(ResponseHead& out, const HttpLimits& limits,
                           const HeadDeadline& deadline) {
  return read_any_head(out, limits, deadline, {});
}

template <class Head>
HeadRead Stream::read_any_head(Head& out, const HttpLimits& limits, const HeadDeadline& deadline,
                               const std::function<void()>& on_first_byte) {
  HeadRead got;
  Clock::time_point until = deadline.first_byte;
  const auto start = [&] {
    got.started = true;
    got.started_at = Clock::now();
    if (deadline.whole) {
      until = deadline.whole->count() == 0 ? kForever : got.started_at + *deadline.whole;
    }
    if (on_first_byte) on_first_byte();
  };
  if (begin_ < end_) start();  // pipelined behind the previous message
  for (size_t scanned = 0;;) {
    const std::string_view unread = data();
    if (worth_parsing(unread, scanned, limits) || doomed(unread, out)) {
      const ParseResult parsed = parse_head(unread, limits, out);
      got.size = parsed.consumed;
      got.error = parsed.error;
      got.reason = parsed.reason;
      if (parsed.state == ParseState::complete) return ended(got, ReadEnd::complete);
      if (parsed.state == ParseState::error) return ended(got, ReadEnd::invalid);
    }
    scanned = unread.size();
    auto n = read_until(until);
    if (!n) {
      got.end = end_of(n.error());
      got.failure = n.error();
      return got;
    }
    if (*n == 0) return ended(got, ReadEnd::closed);
    if (!got.started) start();
  }
}

BodyRead Stream::read_body(const BodyFraming& framing, uint64_t max_body,
                           const BodyDeadline& deadline,
                           const std::function<void(std::string_view)>& sink) {
  BodyReader body;
  body.start(framing, max_body);
  BodyRead got;
  const Clock::time_point started = Clock::now();
  for (;;) {
    while (!body.done() && begin_ < end_) {
      const BodyReader::Run run = body.next(data());
      got.error = run.error;
      got.reason = run.reason;
      if (run.error != HttpError::none) return ended(got, ReadEnd::invalid);
      if (sink && !run.data.empty()) sink(run.data);
      got.bytes += run.data.size();
      consume(run.consumed);
      if (run.consumed == 0) break;
    }
    if (body.done()) return got;
    auto n = read_until(deadline.next_read_until(started, got.bytes));
    if (!n) {
      got.end = end_of(n.error());
      got.failure = n.error();
      return got;
    }
    if (*n == 0) {
      if (!body.ends_at_eof()) got.end = ReadEnd::closed;
      return got;
    }
  }
}

}  // namespace common

// One error representation for the whole library: a category (for counting and for choosing a
// reaction, e.g. "retry on another backend") plus a message that says what failed and where.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace common {

enum class Errc {
  invalid_argument,  // a malformed value (address, flag, size)
  resolve_failed,    // getaddrinfo found nothing
  refused,           // ECONNREFUSED
  timed_out,         // a deadline passed (connect, SO_RCVTIMEO, SO_SNDTIMEO)
  reset,             // ECONNRESET / EPIPE: the peer went away abruptly
  closed,            // the peer closed before the exchange was complete
  limit_exceeded,    // a caller-set bound was hit
  protocol,          // the peer sent bytes that break the protocol
  io_error,          // any other errno
};

std::string_view to_string(Errc code);

struct Error {
  Errc code;
  std::string message;  // e.g. "connect 10.0.0.2:8080: Connection refused"
};

// Builds an Error from an errno value: the category from errno, the message "what: strerror".
Error sys_error(std::string_view what, int err);

// An Errc::invalid_argument Error with the message "what: why", e.g. "2x: unknown unit 'x'".
Error invalid_value(std::string_view what, std::string_view why);

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;

}  // namespace common

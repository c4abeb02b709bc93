#include "common/result.hpp"

#include <cerrno>
#include <cstring>

namespace common {

std::string_view to_string(Errc code) {
  switch (code) {
    case Errc::invalid_argument:
      return "invalid_argument";
    case Errc::resolve_failed:
      return "resolve_failed";
    case Errc::refused:
      return "refused";
    case Errc::timed_out:
      return "timed_out";
    case Errc::reset:
      return "reset";
    case Errc::closed:
      return "closed";
    case Errc::limit_exceeded:
      return "limit_exceeded";
    case Errc::protocol:
      return "protocol";
    case Errc::io_error:
      return "io_error";
  }
  return "unknown";
}

namespace {

Errc classify(int err) {
  switch (err) {
    case ECONNREFUSED:
      return Errc::refused;
    // EAGAIN is what a blocking socket returns when SO_RCVTIMEO/SO_SNDTIMEO expires.
    case ETIMEDOUT:
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
      return Errc::timed_out;
    // ENOTCONN: a socket the peer reset is no longer connected.
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED:
    case ENOTCONN:
      return Errc::reset;
    case EINVAL:
      return Errc::invalid_argument;
    default:
      return Errc::io_error;
  }
}

}  // namespace

Error sys_error(std::string_view what, int err) {
  std::string message(what);
  message += ": ";
  message += std::strerror(err);  // glibc's strerror is thread-safe for known values
  return Error{classify(err), std::move(message)};
}

Error invalid_value(std::string_view what, std::string_view why) {
  std::string message(what);
  message += ": ";
  message += why;
  return Error{Errc::invalid_argument, std::move(message)};
}

}  // namespace common

#include "common/transport.hpp"

#include <sys/socket.h>

namespace common {

Result<size_t> PlainSocket::read_some(char* buffer, size_t capacity) {
  return recv_some(fd_, buffer, capacity);
}

Status PlainSocket::write_all(std::initializer_list<std::string_view> pieces) {
  return send_all(fd_, pieces);
}

Status PlainSocket::set_timeouts(Millis read, Millis write) {
  return set_io_timeouts(fd_, read, write);
}

// A socket already shut down or reset reports an error here that changes nothing.
void PlainSocket::shutdown() { (void)::shutdown(fd_.get(), SHUT_RDWR); }
void PlainSocket::shutdown_sending() { (void)::shutdown(fd_.get(), SHUT_WR); }

}  // namespace common

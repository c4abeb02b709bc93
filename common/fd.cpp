#include "common/fd.hpp"

#include <unistd.h>

namespace common {

void Fd::reset(int fd) noexcept {
  // close() is not retried on EINTR: on Linux the descriptor is released regardless, and a retry
  // could close a number another thread has just been given.
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

}  // namespace common

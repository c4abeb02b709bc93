#include "load_balancer/socket_reader.hpp"

#include <algorithm>
#include <cstring>

namespace lb {

SocketReader::SocketReader(size_t capacity, size_t max_capacity)
    : buffer_(new char[capacity]),
      capacity_(capacity),
      max_capacity_(std::max(capacity, max_capacity)) {}

void SocketReader::attach(const common::Fd& fd, common::Millis timeout) {
  fd_ = &fd;
  begin_ = end_ = 0;
  received_ = 0;
  recv_timeout_ = send_timeout_ = timeout;
}

void SocketReader::consume(size_t n) {
  begin_ += std::min(n, end_ - begin_);
  if (begin_ == end_) begin_ = end_ = 0;  // the cheap common case: nothing to move later
}

// Space at the end: unread bytes move to the front first, and the buffer grows only when they
// fill it.
bool SocketReader::make_room() {
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

common::Result<size_t> SocketReader::read(common::Millis timeout) {
  if (!make_room()) {
    return common::Error{common::Errc::limit_exceeded, "read buffer full"};
  }
  if (timeout != recv_timeout_) {
    if (auto s = common::set_io_timeouts(*fd_, timeout, send_timeout_); !s) return s.error();
    recv_timeout_ = timeout;
  }
  auto n = common::recv_some(*fd_, buffer_.get() + end_, capacity_ - end_);
  if (n) {
    end_ += *n;
    received_ += *n;
  }
  return n;
}

}  // namespace lb

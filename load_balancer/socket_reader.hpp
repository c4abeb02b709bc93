// Buffered reading from one socket that carries messages one after another: bytes received past
// the current message (a pipelined request, the start of a body) stay for the next step. One
// buffer per connection, reused for every message, and the receive timeout is changed only when
// a step asks for another one, so that a steady keep-alive exchange costs no setsockopt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "common/fd.hpp"
#include "common/result.hpp"
#include "common/socket.hpp"

namespace lb {

class SocketReader {
 public:
  // Starts with `capacity` bytes; grows (doubling) up to `max_capacity` only when unread bytes
  // fill it, as a large message head does.
  SocketReader(size_t capacity, size_t max_capacity);

  // Reads from `fd` from now on, starting empty. The caller has set both SO_RCVTIMEO and
  // SO_SNDTIMEO of fd to `timeout`; the send timeout stays so. `fd` must outlive its use here.
  void attach(const common::Fd& fd, common::Millis timeout);

  // The bytes received and not yet consumed; valid until the next read().
  std::string_view data() const { return {buffer_.get() + begin_, end_ - begin_}; }
  void consume(size_t n);
  uint64_t received() const { return received_; }  // bytes read since attach()

  // One recv() of what is available, waiting at most `timeout` (0 = forever): the byte count, 0
  // when the peer closed, or the error (Errc::timed_out, reset...). Errc::limit_exceeded when
  // unread bytes fill max_capacity.
  common::Result<size_t> read(common::Millis timeout);

 private:
  bool make_room();

  std::unique_ptr<char[]> buffer_;
  size_t capacity_;
  const size_t max_capacity_;
  size_t begin_ = 0;  // buffer_[begin_, end_) is unread
  size_t end_ = 0;
  uint64_t received_ = 0;
  const common::Fd* fd_ = nullptr;
  common::Millis recv_timeout_{0};  // what the socket has now
  common::Millis send_timeout_{0};
};

}  // namespace lb

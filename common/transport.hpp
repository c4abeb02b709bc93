// The byte source under a connection's Stream: a plain socket today, a TLS session next, chosen
// when the connection is made, so that nothing that reads or writes a connection changes with it.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string_view>

#include "common/fd.hpp"
#include "common/result.hpp"
#include "common/socket.hpp"

namespace common {

class Transport {
 public:
  virtual ~Transport() = default;

  // What is available, at least one byte: the count, 0 once the peer closed its side,
  // Errc::timed_out when the read timeout passed, Errc::reset when the peer reset.
  virtual Result<size_t> read_some(char* buffer, size_t capacity) = 0;
  // Every byte of every piece, each wait bounded by the write timeout, or the error.
  virtual Status write_all(std::initializer_list<std::string_view> pieces) = 0;
  // Bounds every later read_some and write_all (0 = wait forever).
  virtual Status set_timeouts(Millis read, Millis write) = 0;
  // Ends both directions at once; any thread may call it, and a read blocked in another thread
  // returns. The descriptor stays open: its owner closes it.
  virtual void shutdown() = 0;
  // Ends our sending side only: the peer reads the end of the stream after what was sent, and
  // may go on sending.
  virtual void shutdown_sending() = 0;
  // The socket below, for what only a socket can do (a tunnel's poll).
  virtual const Fd& fd() const = 0;
};

// A connected TCP socket, read and written as it is. Does not own the descriptor.
class PlainSocket final : public Transport {
 public:
  explicit PlainSocket(const Fd& fd) : fd_(fd) {}

  Result<size_t> read_some(char* buffer, size_t capacity) override;
  Status write_all(std::initializer_list<std::string_view> pieces) override;
  Status set_timeouts(Millis read, Millis write) override;
  void shutdown() override;
  void shutdown_sending() override;
  const Fd& fd() const override { return fd_; }

 private:
  const Fd& fd_;
};

}  // namespace common

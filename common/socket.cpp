#include "common/socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <string>

namespace common {

namespace {

Status set_option(const Fd& fd, int level, int name, int value, std::string_view what) {
  if (setsockopt(fd.get(), level, name, &value, sizeof value) != 0) {
    return sys_error("setsockopt " + std::string(what), errno);
  }
  return Ok{};
}

// "recv 10.0.0.2:8080": errors name the peer.
std::string describe(std::string_view call, const Fd& fd) {
  return std::string(call) + " " + peer_name(fd);
}

// EAGAIN on a blocking socket means SO_RCVTIMEO/SO_SNDTIMEO expired; say so in words.
Error io_failure(std::string_view call, const Fd& fd, int err) {
  if (err == EAGAIN || err == EWOULDBLOCK) {
    return Error{Errc::timed_out, describe(call, fd) + ": timed out"};
  }
  return sys_error(describe(call, fd), err);
}

}  // namespace

std::string peer_name(const Fd& fd) {
  Address peer;
  if (getpeername(fd.get(), peer.sockaddr_ptr(), peer.length_ptr()) == 0) return peer.to_string();
  return "fd " + std::to_string(fd.get());
}

Result<Fd> listen_tcp(const Address& address, const ListenOptions& options) {
  Fd fd(socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return sys_error("socket", errno);
  // SO_REUSEADDR: a restarted server must not wait for TIME_WAIT of its old connections.
  if (auto s = set_option(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR"); !s) return s.error();
  if (options.reuse_port) {
    if (auto s = set_option(fd, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT"); !s) return s.error();
  }
  if (options.defer_accept.count() > 0) {
    const auto seconds = static_cast<int>(options.defer_accept.count());
    if (auto s = set_option(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, seconds, "TCP_DEFER_ACCEPT"); !s) {
      return s.error();
    }
  }
  if (bind(fd.get(), address.sockaddr_ptr(), address.length()) != 0) {
    return sys_error("bind " + address.to_string(), errno);
  }
  if (listen(fd.get(), options.backlog) != 0) {
    return sys_error("listen " + address.to_string(), errno);
  }
  return fd;
}

Result<Address> local_address(const Fd& fd) {
  Address address;
  if (getsockname(fd.get(), address.sockaddr_ptr(), address.length_ptr()) != 0) {
    return sys_error("getsockname", errno);
  }
  return address;
}

namespace {

AcceptOutcome classify_accept(int err) {
  switch (err) {
    // A connection that died in the queue, a signal, or (per accept(2)) a network error already
    // pending on the new socket: none of them concerns the listener.
    case EINTR:
    case ECONNABORTED:
    case EAGAIN:
    case EPROTO:
    case EPERM:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
    case ETIMEDOUT:
      return AcceptOutcome::retry;
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
      return AcceptOutcome::out_of_descriptors;
    // Linux wakes a blocked accept() with EINVAL once the listener is shut down.
    case EINVAL:
      return AcceptOutcome::stopped;
    default:
      return AcceptOutcome::fatal;
  }
}

}  // namespace

Accepted accept_connection(const Fd& listener) {
  Accepted result;
  const int fd =
      accept4(listener.get(), result.peer.sockaddr_ptr(), result.peer.length_ptr(), SOCK_CLOEXEC);
  if (fd >= 0) {
    result.outcome = AcceptOutcome::accepted;
    result.fd.reset(fd);
    return result;
  }
  result.err = errno;
  result.outcome = classify_accept(result.err);
  return result;
}

namespace {

// Waits for a non-blocking connect to finish; 0 when connected, else an errno (ETIMEDOUT too).
int await_connect(const Fd& fd, Millis timeout) {
  using Clock = std::chrono::steady_clock;
  const bool forever = timeout <= Millis::zero();
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int wait_ms = -1;
    if (!forever) {
      const auto left = std::chrono::ceil<Millis>(deadline - Clock::now());
      if (left <= Millis::zero()) return ETIMEDOUT;
      wait_ms = static_cast<int>(std::min<Millis::rep>(left.count(), 1 << 30));
    }
    pollfd p{fd.get(), POLLOUT, 0};
    const int ready = poll(&p, 1, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return errno;
    if (ready == 0) continue;  // the deadline check above ends the wait
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
    return err;
  }
}

}  // namespace

Result<Fd> connect_tcp(const Address& address, Millis timeout) {
  const std::string what = "connect " + address.to_string();
  Fd fd(socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return sys_error("socket", errno);
  if (auto s = set_nodelay(fd); !s) return s.error();
  // A blocking connect() honours SO_SNDTIMEO, so the timeout is ours and not the kernel's (which
  // is minutes for an unanswered SYN) at the cost of one call, where a non-blocking connect
  // needs four more (poll, SO_ERROR, and two fcntl to make the socket blocking again).
  if (timeout > Millis::zero()) {
    if (auto s = set_io_timeouts(fd, Millis::zero(), timeout); !s) return s.error();
  }
  int err = connect(fd.get(), address.sockaddr_ptr(), address.length()) == 0 ? 0 : errno;
  if (err == EINTR) err = await_connect(fd, timeout);  // the handshake goes on regardless
  if (err == EINPROGRESS || err == ETIMEDOUT) {        // EINPROGRESS: SO_SNDTIMEO expired
    return Error{Errc::timed_out,
                 what + ": timed out after " + std::to_string(timeout.count()) + "ms"};
  }
  if (err != 0) return sys_error(what, err);
  return fd;
}

Status set_io_timeouts(const Fd& fd, Millis recv_timeout, Millis send_timeout) {
  const auto to_timeval = [](Millis ms) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
    return tv;
  };
  const timeval rcv = to_timeval(recv_timeout);
  const timeval snd = to_timeval(send_timeout);
  if (setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &rcv, sizeof rcv) != 0) {
    return sys_error("setsockopt SO_RCVTIMEO", errno);
  }
  if (setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof snd) != 0) {
    return sys_error("setsockopt SO_SNDTIMEO", errno);
  }
  return Ok{};
}

Status set_nodelay(const Fd& fd) {
  // Requests and responses are written whole; Nagle would only delay the last segment.
  return set_option(fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
}

Result<size_t> recv_some(const Fd& fd, char* buffer, size_t capacity) {
  for (;;) {
    const ssize_t n = recv(fd.get(), buffer, capacity, 0);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return io_failure("recv", fd, errno);
  }
}

namespace {

// The unsent tail of a list of pieces, and how to gather the next batch of it.
class Pending {
 public:
  Pending(const std::string_view* begin, const std::string_view* end) : piece_(begin), end_(end) {
    skip_empty();
  }
  bool done() const { return piece_ == end_; }

  // Fills up to `capacity` iovecs from the current position; returns how many.
  size_t gather(iovec* iov, size_t capacity) const {
    size_t count = 0;
    size_t offset = offset_;
    for (auto p = piece_; p != end_ && count < capacity; ++p, offset = 0) {
      if (p->size() == offset) continue;
      iov[count].iov_base = const_cast<char*>(p->data() + offset);
      iov[count].iov_len = p->size() - offset;
      ++count;
    }
    return count;
  }

  void advance(size_t sent) {
    while (sent > 0) {
      const size_t left = piece_->size() - offset_;
      const size_t step = std::min(left, sent);
      offset_ += step;
      sent -= step;
      skip_empty();
    }
  }

 private:
  void skip_empty() {
    while (piece_ != end_ && offset_ == piece_->size()) {
      ++piece_;
      offset_ = 0;
    }
  }
  const std::string_view* piece_;
  const std::string_view* end_;
  size_t offset_ = 0;
};

}  // namespace

Status send_all(const Fd& fd, std::initializer_list<std::string_view> pieces) {
  Pending pending(pieces.begin(), pieces.end());
  while (!pending.done()) {
    iovec iov[16];
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = pending.gather(iov, std::size(iov));
    // MSG_NOSIGNAL: a peer that closed costs EPIPE, not the process.
    const ssize_t n = sendmsg(fd.get(), &msg, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_failure("send", fd, errno);
    pending.advance(static_cast<size_t>(n));
  }
  return Ok{};
}

size_t raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return static_cast<size_t>(limit.rlim_cur);
}

}  // namespace common

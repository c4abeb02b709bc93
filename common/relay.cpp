#include "common/relay.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <string>

namespace common {

namespace {

using Clock = std::chrono::steady_clock;

// One buffer per direction: large enough that a bulk transfer costs few syscalls, small enough
// for thousands of concurrent relays.
constexpr size_t kBufferBytes = 64 * 1024;

bool retryable(int err) { return err == EINTR || err == EAGAIN || err == EWOULDBLOCK; }

// One direction of the relay. Both sockets stay blocking for their other users; every call here
// passes MSG_DONTWAIT so that a slow reader in one direction never stalls the other.
class Pump {
 public:
  // The names are the peers' addresses, for error messages (a reset peer no longer has one).
  Pump(const Fd& from, const Fd& to, std::string_view from_name, std::string_view to_name)
      : from_(from), to_(to), from_name_(from_name), to_name_(to_name) {}

  bool done() const { return done_; }
  uint64_t delivered() const { return delivered_; }
  short wants_from() const { return !done_ && !eof_ && empty() ? POLLIN : 0; }
  short wants_to() const { return !done_ && !empty() ? POLLOUT : 0; }

  // Moves what it can without blocking; returns how many bytes were read or sent.
  Result<size_t> step(bool readable, bool writable) {
    size_t moved = 0;
    if (readable && wants_from() != 0) {
      auto n = fill();
      if (!n) return n.error();
      moved += *n;
      writable = true;  // try the send at once: the peer usually has room
    }
    if (writable && !empty()) {
      auto n = drain();
      if (!n) return n.error();
      moved += *n;
    }
    if (eof_ && empty() && !done_) {
      // Pass the EOF on, so that half-closed exchanges ("send request, shut write, read reply")
      // still see the other direction through.
      if (shutdown(to_.get(), SHUT_WR) != 0) return failure("shutdown", to_name_, errno);
      done_ = true;
    }
    return moved;
  }

 private:
  bool empty() const { return head_ == tail_; }

  Result<size_t> fill() {
    // Not zero-filled: untouched pages of an idle relay cost no memory.
    if (!buffer_) buffer_ = std::make_unique_for_overwrite<char[]>(kBufferBytes);
    const ssize_t n = recv(from_.get(), buffer_.get(), kBufferBytes, MSG_DONTWAIT);
    if (n < 0)
      return retryable(errno) ? Result<size_t>(size_t{0}) : failure("recv", from_name_, errno);
    if (n == 0) eof_ = true;
    head_ = 0;
    tail_ = static_cast<size_t>(n);
    return tail_;
  }

  Result<size_t> drain() {
    const ssize_t n =
        send(to_.get(), buffer_.get() + head_, tail_ - head_, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0)
      return retryable(errno) ? Result<size_t>(size_t{0}) : failure("send", to_name_, errno);
    head_ += static_cast<size_t>(n);
    delivered_ += static_cast<uint64_t>(n);
    return static_cast<size_t>(n);
  }

  static Error failure(std::string_view call, std::string_view peer, int err) {
    return sys_error("relay " + std::string(call) + " " + std::string(peer), err);
  }

  const Fd& from_;
  const Fd& to_;
  std::string_view from_name_;
  std::string_view to_name_;
  std::unique_ptr<char[]> buffer_;
  size_t head_ = 0;  // buffer_[head_, tail_) is read but not yet sent
  size_t tail_ = 0;
  bool eof_ = false;
  bool done_ = false;
  uint64_t delivered_ = 0;
};

// poll() reports POLLERR and POLLHUP even on a socket polled for nothing. Such a socket is one
// whose outgoing direction waits on the other socket; an error or hangup there means that
// connection is gone, and waiting on for the other side could last forever.
Status check_unwatched(const pollfd& p, std::string_view name) {
  if (p.fd < 0 || p.events != 0 || (p.revents & (POLLERR | POLLHUP)) == 0) return Ok{};
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len);
  return sys_error("relay " + std::string(name), err != 0 ? err : ECONNRESET);
}

// What to poll on `fd`: reads for `out_of`, writes for `into`. A socket nothing will be written
// to any more and nothing is wanted from right now is left out (fd -1): once both its directions
// are shut, poll() would report POLLHUP on it at once, every time.
pollfd watch(const Fd& fd, const Pump& out_of, const Pump& into) {
  const auto events = static_cast<short>(out_of.wants_from() | into.wants_to());
  return pollfd{events == 0 && into.done() ? -1 : fd.get(), events, 0};
}

// How long poll() may wait: what is left of the idle timeout, or forever.
int poll_timeout(const RelayOptions& options, Clock::time_point last_activity) {
  if (options.idle_timeout <= Millis::zero()) return -1;
  const auto left = std::chrono::ceil<Millis>(last_activity + options.idle_timeout - Clock::now());
  return static_cast<int>(std::max<Millis::rep>(left.count(), 0));
}

}  // namespace

RelayResult relay(const Fd& a, const Fd& b, const RelayOptions& options) {
  const std::string a_name = options.a_name.empty() ? peer_name(a) : std::string(options.a_name);
  const std::string b_name = options.b_name.empty() ? peer_name(b) : std::string(options.b_name);
  Pump ab(a, b, a_name, b_name);
  Pump ba(b, a, b_name, a_name);
  RelayResult result;
  auto last_activity = Clock::now();
  const auto finish = [&](Status end) {
    result.a_to_b = ab.delivered();
    result.b_to_a = ba.delivered();
    result.end = std::move(end);
    return result;
  };
  while (!ab.done() || !ba.done()) {
    pollfd fds[2] = {watch(a, ab, ba), watch(b, ba, ab)};
    const int ready = poll(fds, 2, poll_timeout(options, last_activity));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return finish(sys_error("relay poll", errno));
    if (ready == 0) {
      return finish(Error{Errc::timed_out,
                          "relay idle for " + std::to_string(options.idle_timeout.count()) + "ms"});
    }
    if (auto s = check_unwatched(fds[0], a_name); !s) return finish(s);
    if (auto s = check_unwatched(fds[1], b_name); !s) return finish(s);
    // On a watched socket, an error or hangup is left for the recv or send to report.
    const auto in = [](const pollfd& p) { return (p.revents & (POLLIN | POLLHUP | POLLERR)) != 0; };
    const auto out = [](const pollfd& p) {
      return (p.revents & (POLLOUT | POLLHUP | POLLERR)) != 0;
    };
    auto moved_ab = ab.step(in(fds[0]), out(fds[1]));
    if (!moved_ab) return finish(moved_ab.error());
    auto moved_ba = ba.step(in(fds[1]), out(fds[0]));
    if (!moved_ba) return finish(moved_ba.error());
    if (*moved_ab + *moved_ba > 0) last_activity = Clock::now();
  }
  return finish(Ok{});
}

}  // namespace common

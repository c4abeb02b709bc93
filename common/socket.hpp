// Thin, checked wrappers over the socket calls the suite makes. All descriptors are created with
// SOCK_CLOEXEC; sends use MSG_NOSIGNAL; every call retries on EINTR. Sockets stay blocking: a
// connection is owned by one thread, and SO_RCVTIMEO/SO_SNDTIMEO bound each wait.
#pragma once

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

#include "common/address.hpp"
#include "common/fd.hpp"
#include "common/result.hpp"

namespace common {

using Millis = std::chrono::milliseconds;

struct ListenOptions {
  int backlog = 4096;
  bool reuse_port = false;  // SO_REUSEPORT, so a new process can bind while the old one drains
  // TCP_DEFER_ACCEPT, for protocols where the client speaks first (HTTP): accept() returns a
  // connection only once its first bytes are there (or this long after the handshake), so the
  // thread that accepts it reads them at once instead of going back to sleep. 0 = off.
  std::chrono::seconds defer_accept{0};
};

// Binds (SO_REUSEADDR always) and listens; port 0 picks an ephemeral port (see local_address).
Result<Fd> listen_tcp(const Address& address, const ListenOptions& options = {});

Result<Address> local_address(const Fd& fd);

// What an accept() failure means for the accept loop.
enum class AcceptOutcome {
  accepted,
  retry,               // EINTR, ECONNABORTED, EAGAIN, EPROTO...: try again at once
  out_of_descriptors,  // EMFILE, ENFILE, ENOBUFS, ENOMEM: shed load and back off
  stopped,             // EINVAL after the listener was shut down: the loop should end
  fatal,               // anything else: a bug to report
};

struct Accepted {
  AcceptOutcome outcome = AcceptOutcome::fatal;
  Fd fd;
  Address peer;
  int err = 0;  // errno when outcome != accepted
};

Accepted accept_connection(const Fd& listener);

// Blocking connect bounded by `timeout` (0 = only the kernel's own bound); the returned socket
// has TCP_NODELAY set, and SO_SNDTIMEO = `timeout` (set_io_timeouts changes it). Errors:
// refused, timed_out, or io_error, each naming the address.
Result<Fd> connect_tcp(const Address& address, Millis timeout);

// Bounds every later blocking recv/send on fd (0 = wait forever).
Status set_io_timeouts(const Fd& fd, Millis recv_timeout, Millis send_timeout);
Status set_nodelay(const Fd& fd);

// Reads what is available (at least one byte, or 0 when the peer closed its side).
// A receive timeout is Errc::timed_out; ECONNRESET is Errc::reset.
Result<size_t> recv_some(const Fd& fd, char* buffer, size_t capacity);

// Sends every byte of every piece (one sendmsg per attempt, gathering the pieces), or fails.
Status send_all(const Fd& fd, std::initializer_list<std::string_view> pieces);
inline Status send_all(const Fd& fd, std::string_view data) { return send_all(fd, {data}); }

// The peer of a connected socket for messages: "10.0.0.2:8080", or "fd 7" once it is unknown
// (a socket the peer reset has no peer any more).
std::string peer_name(const Fd& fd);

// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the new soft limit.
size_t raise_fd_limit();

}  // namespace common

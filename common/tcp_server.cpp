#include "common/tcp_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "common/connection_threads.hpp"
#include "common/log.hpp"

namespace common {

struct TcpServer::Impl {
  Impl(const Options& opts, Handler h, Fd listen_fd, Address local)
      : options(opts),
        handler(std::move(h)),
        listener(std::move(listen_fd)),
        local_address(local),
        threads(ConnectionThreads::Options{.max_threads = opts.max_connections}) {}

  void dispatch(Accepted accepted);
  void shed_one();
  void unregister(int fd);
  bool wait_for_connection();
  void accept_backlog();

  const Options options;
  const Handler handler;
  Fd listener;  // non-blocking; used by serve() only, which closes it once stopped
  const Address local_address;
  // stop() writes to it to wake serve() from poll(): shutting the listener down instead would
  // reset the connections waiting in its backlog.
  Fd wake{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
  // Kept open so that, out of descriptors, there is one to give back: accept the pending
  // connection and close it at once, rather than leave it to spin the accept loop.
  Fd spare{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
  std::atomic<bool> stopping{false};

  mutable std::mutex mutex;
  std::condition_variable idle;
  std::unordered_set<int> open;  // descriptors of connections whose handler is running

  // Last, so it is destroyed first: its destructor joins the threads that use the members above.
  ConnectionThreads threads;
};

void TcpServer::Impl::unregister(int fd) {
  std::lock_guard lock(mutex);
  open.erase(fd);
  if (open.empty()) idle.notify_all();
}

void TcpServer::Impl::dispatch(Accepted accepted) {
  const int fd = accepted.fd.get();
  {
    std::lock_guard lock(mutex);
    open.insert(fd);
  }
  // std::function needs a copyable callable; the connection itself is moved in once.
  auto connection = std::make_shared<Accepted>(std::move(accepted));
  const bool started = threads.run([this, connection] {
    handler(connection->fd, connection->peer);
    // Unregister before closing: once closed, the number may be reused by a new connection that
    // shutdown_connections() must not touch by mistake.
    unregister(connection->fd.get());
    connection->fd.reset();
  });
  if (!started) {
    log("accept ", local_address.to_string(), ": no thread for ", connection->peer.to_string(),
        ", connection dropped");
    unregister(fd);
  }
}

void TcpServer::Impl::shed_one() {
  spare.reset();
  accept_connection(listener);  // the connection is closed at once, giving the number back
  spare.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
}

// Waits until a connection is queued (true) or stop() was called (false).
bool TcpServer::Impl::wait_for_connection() {
  pollfd fds[2] = {{listener.get(), POLLIN, 0}, {wake.get(), POLLIN, 0}};
  while (!stopping.load()) {
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) {
      log("poll ", local_address.to_string(), ": ", std::strerror(errno));
      return false;
    }
    if ((fds[0].revents & POLLIN) != 0) return true;
  }
  return false;
}

void TcpServer::Impl::accept_backlog() {
  for (;;) {
    Accepted accepted = accept_connection(listener);
    if (accepted.outcome == AcceptOutcome::accepted) {
      dispatch(std::move(accepted));
    } else if (accepted.outcome != AcceptOutcome::retry || accepted.err == EAGAIN ||
               accepted.err == EWOULDBLOCK) {
      return;  // the backlog is empty (or accept fails for good: nothing more to take)
    }
  }
}

Result<std::unique_ptr<TcpServer>> TcpServer::open(const Options& options, Handler handler) {
  auto listener = listen_tcp(options.listen, ListenOptions{.reuse_port = options.reuse_port});
  if (!listener) return listener.error();
  auto local = common::local_address(*listener);
  if (!local) return local.error();
  if (::fcntl(listener->get(), F_SETFL, O_NONBLOCK) != 0) {
    return sys_error("fcntl O_NONBLOCK " + local->to_string(), errno);
  }
  auto impl = std::make_unique<Impl>(options, std::move(handler), std::move(*listener), *local);
  return std::unique_ptr<TcpServer>(new TcpServer(std::move(impl)));
}

TcpServer::TcpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

TcpServer::~TcpServer() { stop(); }

Address TcpServer::local_address() const { return impl_->local_address; }

void TcpServer::serve() {
  bool shedding = false;  // log once per burst of descriptor exhaustion, not once per connection
  // Accepting first and polling only when the backlog is empty costs no extra call under load.
  while (!impl_->stopping.load()) {
    Accepted accepted = accept_connection(impl_->listener);
    switch (accepted.outcome) {
      case AcceptOutcome::accepted:
        shedding = false;
        impl_->dispatch(std::move(accepted));
        break;
      case AcceptOutcome::retry:
        if (accepted.err == EAGAIN || accepted.err == EWOULDBLOCK) {
          if (!impl_->wait_for_connection()) continue;
        }
        break;
      case AcceptOutcome::out_of_descriptors:
        if (!shedding) {
          log("accept ", impl_->local_address.to_string(), ": ", std::strerror(accepted.err),
              "; shedding connections");
        }
        shedding = true;
        impl_->shed_one();
        std::this_thread::sleep_for(Millis(10));
        break;
      case AcceptOutcome::stopped:
        return;
      case AcceptOutcome::fatal:
        log("accept ", impl_->local_address.to_string(), ": ", std::strerror(accepted.err));
        return;
    }
  }
  impl_->accept_backlog();
  impl_->listener.reset();
}

void TcpServer::stop() {
  impl_->stopping.store(true);
  const uint64_t one = 1;
  // Only fails when the counter is full, which a wake-up already pending makes harmless.
  (void)!::write(impl_->wake.get(), &one, sizeof one);
}

void TcpServer::shutdown_connections(int how) {
  // Under the lock: a connection unregisters before its descriptor is closed.
  std::lock_guard lock(impl_->mutex);
  for (int fd : impl_->open) shutdown(fd, how);
}

bool TcpServer::wait_idle(Millis timeout) {
  std::unique_lock lock(impl_->mutex);
  return impl_->idle.wait_for(lock, timeout, [this] { return impl_->open.empty(); });
}

size_t TcpServer::open_connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->open.size();
}

}  // namespace common

#include "common/tcp_server.hpp"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
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
        threads(listener, ConnectionThreads::Options{.max_threads = opts.max_connections},
                [this](Accepted& connection) { serve_connection(connection); }) {}

  void serve_connection(Accepted& connection);
  void unregister(int fd);

  const Options options;
  const Handler handler;
  Fd listener;  // blocking; the connection threads wait in accept() on it
  const Address local_address;
  // stop() writes to it to wake serve(), which then stops the connection threads' accepting.
  Fd wake{::eventfd(0, EFD_CLOEXEC)};
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

void TcpServer::Impl::serve_connection(Accepted& connection) {
  const int fd = connection.fd.get();
  {
    std::lock_guard lock(mutex);
    open.insert(fd);
  }
  handler(connection.fd, connection.peer);
  // Unregister before closing: once closed, the number may be reused by a new connection that
  // shutdown_connections() must not touch by mistake.
  unregister(fd);
  connection.fd.reset();
}

Result<std::unique_ptr<TcpServer>> TcpServer::open(const Options& options, Handler handler) {
  auto listener = listen_tcp(options.listen, ListenOptions{.reuse_port = options.reuse_port});
  if (!listener) return listener.error();
  auto local = common::local_address(*listener);
  if (!local) return local.error();
  auto impl = std::make_unique<Impl>(options, std::move(handler), std::move(*listener), *local);
  return std::unique_ptr<TcpServer>(new TcpServer(std::move(impl)));
}

TcpServer::TcpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

TcpServer::~TcpServer() { stop(); }

Address TcpServer::local_address() const { return impl_->local_address; }

void TcpServer::serve() {
  if (auto started = impl_->threads.start(); !started) {
    log(started.error().message, "; not accepting");
  } else {
    uint64_t count = 0;
    while (!impl_->stopping.load()) {
      // Blocking: stop() is what ends the wait. EINTR only repeats it.
      if (::read(impl_->wake.get(), &count, sizeof count) < 0 && errno != EINTR) {
        log("stop wait ", impl_->local_address.to_string(), ": ", std::strerror(errno));
        break;
      }
    }
  }
  impl_->threads.stop_accepting();
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

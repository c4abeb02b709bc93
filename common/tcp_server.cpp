#include "common/tcp_server.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <atomic>
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

  const Options options;
  const Handler handler;
  const Fd listener;
  const Address local_address;
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
  bool shedding = false;  // log once per burst of descriptor exhaustion, not once per connection
  while (!impl_->stopping.load()) {
    Accepted accepted = accept_connection(impl_->listener);
    switch (accepted.outcome) {
      case AcceptOutcome::accepted:
        shedding = false;
        impl_->dispatch(std::move(accepted));
        break;
      case AcceptOutcome::retry:
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
}

void TcpServer::stop() {
  impl_->stopping.store(true);
  // Wakes a blocked accept() (it fails with EINVAL); the descriptor stays open, so no other
  // thread can be handed its number while serve() may still use it.
  shutdown(impl_->listener.get(), SHUT_RDWR);
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

#include "common/tcp_server.hpp"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "common/connection_threads.hpp"
#include "common/log.hpp"

namespace common {

struct TcpServer::Impl {
  Impl(const Options& opts, Handler h, Fd listen_fd, Address local)
      : handler(std::move(h)),
        listener(std::move(listen_fd)),
        local_address(local),
        threads(listener, ConnectionThreads::Options{.max_threads = opts.max_connections},
                [this](Accepted& connection) { handler(connection.fd, connection.peer); }) {}

  const Handler handler;
  Fd listener;  // blocking; the connection threads wait in accept() on it
  const Address local_address;
  // stop() writes to it to wake serve(), which then stops the connection threads' accepting.
  Fd wake{::eventfd(0, EFD_CLOEXEC)};
  std::atomic<bool> stopping{false};

  // Last, so it is destroyed first: its destructor joins the threads that use the members above.
  ConnectionThreads threads;
};

Result<std::unique_ptr<TcpServer>> TcpServer::open(const Options& options, Handler handler) {
  auto listener = listen_tcp(options.listen, ListenOptions{.reuse_port = options.reuse_port,
                                                           .defer_accept = options.defer_accept});
  if (!listener) return listener.error();
  return open(std::move(*listener), options, std::move(handler));
}

Result<std::unique_ptr<TcpServer>> TcpServer::open(Fd listener, const Options& options,
                                                   Handler handler) {
  auto local = common::local_address(listener);
  if (!local) return local.error();
  auto impl = std::make_unique<Impl>(options, std::move(handler), std::move(listener), *local);
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

void TcpServer::shutdown_connections(int how) { impl_->threads.shutdown_serving(how); }

bool TcpServer::wait_idle(Millis timeout) { return impl_->threads.wait_idle(timeout); }

size_t TcpServer::open_connections() const { return impl_->threads.serving(); }

}  // namespace common

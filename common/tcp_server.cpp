#include "common/tcp_server.hpp"

#include <mutex>

#include "common/connection_threads.hpp"

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
  std::once_flag stopped;

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

Status TcpServer::start() { return impl_->threads.start(); }

void TcpServer::stop() {
  std::call_once(impl_->stopped, [this] {
    impl_->threads.stop_accepting();
    impl_->listener.reset();
  });
}

void TcpServer::shutdown_connections(int how) { impl_->threads.shutdown_serving(how); }

bool TcpServer::wait_idle(Millis timeout) { return impl_->threads.wait_idle(timeout); }

size_t TcpServer::open_connections() const { return impl_->threads.serving(); }

}  // namespace common

#include "tests/integration/fault_proxy.hpp"

#include <sys/socket.h>

#include <chrono>
#include <random>
#include <stdexcept>

#include "common/address.hpp"
#include "common/socket.hpp"

namespace harness {

namespace {

using namespace std::chrono_literals;

// Bounds a send to a peer that stopped reading, so that no pump blocks for good.
constexpr common::Millis kSendTimeout{5000};

// SO_LINGER 0 makes the close that follows send RST instead of FIN.
void abort_on_close(const common::Fd& fd) {
  const linger hard{1, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
}

}  // namespace

std::string_view to_string(Fault fault) {
  switch (fault) {
    case Fault::pass:
      return "pass";
    case Fault::blackhole:
      return "blackhole";
    case Fault::reset:
      return "reset";
    case Fault::slow:
      return "slow";
    case Fault::drop_to_target:
      return "drop_to_target";
    case Fault::drop_to_dialer:
      return "drop_to_dialer";
  }
  return "?";
}

// Both sockets of one relayed connection; closed (with RST once reset) when both pumps are done.
struct FaultProxy::Connection {
  common::Fd dialer;
  common::Fd target;
  std::atomic<bool> reset{false};
  std::atomic<bool> lost_to_target{false};
  std::atomic<bool> lost_to_dialer{false};

  // Callable from any thread: SHUT_RD wakes both pumps' recv() without sending anything, and
  // the last pump's close then sends RST.
  void abort() {
    reset = true;
    for (const common::Fd* fd : {&dialer, &target}) {
      abort_on_close(*fd);
      ::shutdown(fd->get(), SHUT_RD);
    }
  }
};

// On 127.0.0.2: an ephemeral port picked here can never be one that free_address() reserved (on
// an address of its own) for a server that has not bound it yet.
FaultProxy::FaultProxy(std::string target) : target_(std::move(target)) {
  auto listener = common::listen_tcp(*common::parse_address("127.0.0.2:0"));
  if (!listener) throw std::runtime_error(listener.error().message);
  listener_ = std::move(*listener);
  address_ = common::local_address(listener_)->to_string();
  accepting_ = std::thread([this] { accept_loop(); });
}

FaultProxy::~FaultProxy() {
  ::shutdown(listener_.get(), SHUT_RDWR);  // wakes accept() with EINVAL
  accepting_.join();
  reset_all();
  std::lock_guard lock(mutex_);
  for (Worker& worker : workers_) worker.thread.join();
}

void FaultProxy::set(Fault fault) {
  fault_ = fault;
  if (fault == Fault::reset) reset_all();
}

void FaultProxy::reset_all() {
  std::lock_guard lock(mutex_);
  for (const auto& weak : connections_) {
    if (auto connection = weak.lock()) connection->abort();
  }
}

void FaultProxy::reap_finished() {
  std::erase_if(workers_, [](Worker& worker) {
    if (!worker.done->load()) return false;
    worker.thread.join();
    return true;
  });
  std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
}

void FaultProxy::accept_loop() {
  for (;;) {
    common::Accepted accepted = common::accept_connection(listener_);
    if (accepted.outcome == common::AcceptOutcome::stopped ||
        accepted.outcome == common::AcceptOutcome::fatal) {
      return;
    }
    if (accepted.outcome != common::AcceptOutcome::accepted) continue;
    relay(std::move(accepted.fd));
  }
}

// Connects to the target for one accepted connection and starts its two pumps; a connection
// that cannot be relayed (reset fault, target down, too many open) is reset at once, which the
// dialler sees as a refused link.
void FaultProxy::relay(common::Fd dialer) {
  auto connection = std::make_shared<Connection>();
  connection->dialer = std::move(dialer);
  std::lock_guard lock(mutex_);
  reap_finished();
  auto target = common::connect_tcp(*common::parse_address(target_), 2000ms);
  if (fault_ == Fault::reset || !target || connections_.size() >= kMaxConnections) {
    abort_on_close(connection->dialer);
    return;
  }
  connection->target = std::move(*target);
  for (const common::Fd* fd : {&connection->dialer, &connection->target}) {
    (void)common::set_io_timeouts(*fd, common::Millis{0}, kSendTimeout);
  }
  connections_.push_back(connection);
  for (const bool to_target : {true, false}) {
    auto done = std::make_shared<std::atomic<bool>>(false);
    workers_.push_back(Worker{std::thread([this, connection, to_target, done] {
                                pump(connection, to_target);
                                *done = true;
                              }),
                              done});
  }
}

// One direction of a connection until EOF, an error or a reset. The fault is read per chunk,
// so a change applies to the very next bytes.
void FaultProxy::pump(const std::shared_ptr<Connection>& connection, bool to_target) {
  const common::Fd& from = to_target ? connection->dialer : connection->target;
  const common::Fd& to = to_target ? connection->target : connection->dialer;
  std::atomic<bool>& lost = to_target ? connection->lost_to_target : connection->lost_to_dialer;
  std::minstd_rand random(std::random_device{}());
  char buffer[16 * 1024];
  for (;;) {
    auto n = common::recv_some(from, buffer, sizeof buffer);
    if (connection->reset) return;
    const Fault fault = fault_.load();
    const bool drop = fault == Fault::blackhole || (fault == Fault::drop_to_target && to_target) ||
                      (fault == Fault::drop_to_dialer && !to_target);
    if (drop) {
      lost = true;  // an EOF is dropped too: the far end must notice the silence itself
      if (!n || *n == 0) return;
      continue;
    }
    // A reset or error on one side resets the other, as a router between them would show it.
    if (!n || fault == Fault::reset || lost) return connection->abort();
    if (*n == 0) {
      ::shutdown(to.get(), SHUT_WR);  // pass the EOF on; the other direction may go on
      return;
    }
    if (fault == Fault::slow) std::this_thread::sleep_for(common::Millis{50 + random() % 251});
    if (!common::send_all(to, std::string_view(buffer, *n))) return connection->abort();
  }
}

}  // namespace harness

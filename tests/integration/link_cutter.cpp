#include "tests/integration/link_cutter.hpp"

#include <sys/socket.h>

#include <stdexcept>

#include "common/address.hpp"
#include "common/relay.hpp"
#include "common/socket.hpp"

namespace harness {

namespace {
void shut(const common::Fd& fd) {
  if (fd) ::shutdown(fd.get(), SHUT_RDWR);
}
}  // namespace

LinkCutter::LinkCutter(std::string target) : target_(std::move(target)) {
  auto listener = common::listen_tcp(*common::parse_address("127.0.0.1:0"));
  if (!listener) throw std::runtime_error(listener.error().message);
  listener_ = std::move(*listener);
  address_ = common::local_address(listener_)->to_string();
  accepting_ = std::thread([this] { accept_loop(); });
}

LinkCutter::~LinkCutter() {
  shut(listener_);  // wakes accept() with EINVAL
  accepting_.join();
  cut();
  for (auto& thread : forwarders_) thread.join();
}

void LinkCutter::cut() {
  std::lock_guard lock(mutex_);
  cut_ = true;
  for (const auto& pair : pairs_) {
    shut(pair->from);
    shut(pair->to);
  }
  pairs_.clear();
}

void LinkCutter::restore() {
  std::lock_guard lock(mutex_);
  cut_ = false;
}

void LinkCutter::accept_loop() {
  for (;;) {
    common::Accepted accepted = common::accept_connection(listener_);
    if (accepted.outcome == common::AcceptOutcome::stopped ||
        accepted.outcome == common::AcceptOutcome::fatal) {
      return;
    }
    if (accepted.outcome != common::AcceptOutcome::accepted) continue;
    std::lock_guard lock(mutex_);
    if (cut_) continue;  // closed at once: the dialling server sees the link fail
    auto pair = std::make_shared<Pair>(Pair{std::move(accepted.fd), common::Fd()});
    pairs_.push_back(pair);
    forwarders_.emplace_back([this, pair] { forward(pair); });
  }
}

void LinkCutter::forward(std::shared_ptr<Pair> pair) {
  auto target = common::parse_address(target_);
  if (!target) return;
  auto to = common::connect_tcp(*target, std::chrono::seconds(5));
  {
    std::lock_guard lock(mutex_);
    if (!to || cut_) return;  // a cut during the connect: drop this one too
    pair->to = std::move(*to);
  }
  common::relay(pair->from, pair->to);
  shut(pair->from);
  shut(pair->to);
}

}  // namespace harness

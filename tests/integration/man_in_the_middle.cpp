#include "tests/integration/man_in_the_middle.hpp"

#include <sys/socket.h>

#include <chrono>
#include <stdexcept>

#include "common/address.hpp"
#include "common/socket.hpp"

namespace harness {

namespace {

// The frame types (web::replication::FrameType) each stream alters.
constexpr char kAck = 4;
constexpr char kChange = 5;
constexpr size_t kHeader = 5;

void shut(const common::Fd& fd) {
  if (fd) ::shutdown(fd.get(), SHUT_RDWR);
}

// The length of the frame at the start of `buffer` (header included), or 0 while incomplete.
size_t whole_frame(const std::string& buffer) {
  if (buffer.size() < kHeader) return 0;
  size_t length = 0;
  for (size_t i = 0; i < 4; ++i) length = length << 8 | static_cast<uint8_t>(buffer[i]);
  return buffer.size() >= kHeader + length ? kHeader + length : 0;
}

}  // namespace

const char* to_string(Tamper tamper) {
  switch (tamper) {
    case Tamper::flip: return "flip";
    case Tamper::drop: return "drop";
    case Tamper::replay: return "replay";
    case Tamper::inject: return "inject";
  }
  return "?";
}

// On 127.0.0.2, as FaultProxy: its ephemeral port can never be one free_address() reserved.
ManInTheMiddle::ManInTheMiddle(std::string target) : target_(std::move(target)) {
  auto listener = common::listen_tcp(*common::parse_address("127.0.0.2:0"));
  if (!listener) throw std::runtime_error(listener.error().message);
  listener_ = std::move(*listener);
  address_ = common::local_address(listener_)->to_string();
  accepting_ = std::thread([this] { accept_loop(); });
}

ManInTheMiddle::~ManInTheMiddle() {
  shut(listener_);  // wakes accept() with EINVAL
  accepting_.join();
  {
    std::lock_guard lock(mutex_);
    for (const auto& pair : pairs_) {
      shut(pair->from);
      shut(pair->to);
    }
  }
  for (auto& thread : forwarders_) thread.join();
}

void ManInTheMiddle::arm(Tamper tamper, Stream stream) {
  std::lock_guard lock(mutex_);
  armed_ = tamper;
  armed_stream_ = stream;
  tampered_ = false;
}

void ManInTheMiddle::restore() {
  std::lock_guard lock(mutex_);
  armed_.reset();
  refusing_ = false;
}

void ManInTheMiddle::accept_loop() {
  for (;;) {
    common::Accepted accepted = common::accept_connection(listener_);
    if (accepted.outcome == common::AcceptOutcome::stopped ||
        accepted.outcome == common::AcceptOutcome::fatal) {
      return;
    }
    if (accepted.outcome != common::AcceptOutcome::accepted) continue;
    std::lock_guard lock(mutex_);
    if (refusing_) continue;  // closed at once: the dialling server sees the link fail
    auto pair = std::make_shared<Pair>(Pair{std::move(accepted.fd), common::Fd()});
    pairs_.push_back(pair);
    forwarders_.emplace_back([this, pair] { forward(pair); });
  }
}

void ManInTheMiddle::forward(std::shared_ptr<Pair> pair) {
  auto target = common::parse_address(target_);
  if (!target) return;
  auto to = common::connect_tcp(*target, std::chrono::seconds(5));
  if (!to) return shut(pair->from);
  {
    std::lock_guard lock(mutex_);
    pair->to = std::move(*to);
  }
  std::thread acks([&] {
    relay_frames(pair->to, pair->from, Stream::acks);
    shut(pair->from);
    shut(pair->to);
  });
  relay_frames(pair->from, pair->to, Stream::changes);
  shut(pair->from);
  shut(pair->to);
  acks.join();
}

// One direction, frame by frame (the 5-byte headers are in clear).
void ManInTheMiddle::relay_frames(const common::Fd& from, const common::Fd& to, Stream stream) {
  const char alterable = stream == Stream::changes ? kChange : kAck;
  std::string buffer, earlier;
  char chunk[16 * 1024];
  for (;;) {
    while (const size_t size = whole_frame(buffer)) {
      std::string frame = buffer.substr(0, size);
      buffer.erase(0, size);
      if (frame[4] == alterable) {
        std::string out = altered(frame, earlier, stream);
        earlier = std::move(frame);
        frame = std::move(out);
      }
      if (!frame.empty() && !common::send_all(to, frame)) return;
    }
    auto got = common::recv_some(from, chunk, sizeof chunk);
    if (!got || *got == 0) return;
    buffer.append(chunk, *got);
  }
}

// What goes out instead of `frame` (itself, unless armed for its stream).
std::string ManInTheMiddle::altered(std::string frame, const std::string& earlier,
                                    Stream stream) {
  std::lock_guard lock(mutex_);
  if (!armed_ || armed_stream_ != stream) return frame;
  if (*armed_ == Tamper::replay && earlier.empty()) return frame;
  const size_t middle = kHeader + (frame.size() - kHeader) / 2;
  switch (*armed_) {
    case Tamper::flip: frame[middle] = static_cast<char>(frame[middle] ^ 0x20); break;
    case Tamper::drop: frame.clear(); break;
    case Tamper::replay: frame = earlier; break;
    case Tamper::inject: frame.insert(middle, 1, '!'); break;
  }
  armed_.reset();
  refusing_ = true;
  tampered_ = true;
  return frame;
}

}  // namespace harness

#include "web_server/live/session.hpp"

#include <poll.h>

#include <cerrno>
#include <memory>

#include "common/log.hpp"
#include "common/socket.hpp"
#include "common/websocket.hpp"
#include "web_server/live/client_frames.hpp"

namespace web::live {

namespace ws = common::ws;

namespace {

constexpr int kPingIntervalMs = 30000;
constexpr int kCloseWaitMs = 1000;
constexpr size_t kReadBytes = 4096;

enum class Ready { socket, queue, idle, failed };

// Waits for the socket, the queue, or `timeout_ms`; the socket first, so that a browser's close
// is seen before more pushes are sent to it.
Ready wait(const common::Fd& fd, Queue& queue, int timeout_ms) {
  pollfd fds[2] = {{fd.get(), POLLIN, 0}, {queue.fd(), POLLIN, 0}};
  int n = 0;
  while ((n = ::poll(fds, 2, timeout_ms)) < 0 && errno == EINTR) {
  }
  if (n < 0) return Ready::failed;
  if (n == 0) return Ready::idle;
  return fds[0].revents != 0 ? Ready::socket : Ready::queue;
}

// Appends every queued change as a text frame, or the close that an overflow calls for.
void push(const common::Fd& fd, Queue& queue, ClientFrames& frames, std::string& out) {
  Queue::Taken taken = queue.take();
  if (taken.overflowed) {
    common::log("live: subscriber ", common::peer_name(fd),
                " fell behind the changes; closing it with ", ws::kPolicyViolation);
    frames.close(ws::kPolicyViolation, out);
    return;
  }
  for (const Message& message : taken.messages) {
    ws::append_frame(out, ws::Opcode::text, *message);
  }
}

// After the server's own close frame: reads until the browser's answer (or its end), so that
// unread bytes do not turn the close into a reset that could destroy the close frame.
void await_close(const common::Fd& fd, char* buffer) {
  pollfd socket{fd.get(), POLLIN, 0};
  for (size_t total = 0; total < 64 * kReadBytes;) {
    if (::poll(&socket, 1, kCloseWaitMs) <= 0) return;
    const auto got = common::recv_some(fd, buffer, kReadBytes);
    if (!got || *got == 0) return;
    total += *got;
  }
}

}  // namespace

void run_live(const common::Fd& fd, std::string_view already_read, Subscription& subscription) {
  ClientFrames frames;
  std::string pending(already_read);  // a partial frame from the browser
  std::string out;
  const auto buffer = std::make_unique<char[]>(kReadBytes);
  for (;;) {
    pending.erase(0, frames.feed(pending, out));
    if (!out.empty() && !common::send_all(fd, out)) return;
    out.clear();
    if (frames.finished()) {
      if (!frames.peer_closed()) await_close(fd, buffer.get());
      return;
    }
    const Ready ready = wait(fd, subscription.queue(), kPingIntervalMs);
    if (ready == Ready::failed) return;
    if (ready == Ready::idle) ws::append_frame_header(out, ws::Opcode::ping, true, 0);
    if (ready == Ready::queue) push(fd, subscription.queue(), frames, out);
    if (ready != Ready::socket) continue;
    const auto got = common::recv_some(fd, buffer.get(), kReadBytes);
    if (!got || *got == 0) {
      // The browser left without a close frame, or the server drains (SHUT_RD).
      frames.close(ws::kGoingAway, out);
      (void)common::send_all(fd, out);
      return;
    }
    pending.append(buffer.get(), *got);
  }
}

}  // namespace web::live

#include "web_server/upgrade.hpp"

#include <memory>
#include <string>

#include "common/http_message.hpp"
#include "common/websocket.hpp"
#include "web_server/live/session.hpp"
#include "web_server/ws_echo.hpp"

namespace web {

void upgrade(const UpgradeRequest& request, const Router& router, common::Stream& in,
             ResponseWriter& writer) {
  const ResponseMode mode{.head_only = false, .keep_alive = false, .version_minor = 1};
  const common::ws::HandshakeCheck check = common::ws::check_handshake(request.head);
  if (check.status != 101 || request.framing.kind != common::BodyKind::none) {
    const int status = check.status == 101 ? 400 : check.status;
    writer.send(error_response(status), mode, status == 426 ? "Sec-WebSocket-Version: 13\r\n" : "");
    return;
  }
  std::unique_ptr<live::Subscription> subscription;
  if (request.kind == Response::Kind::live) {
    subscription = router.services().hub->subscribe();
    if (!subscription) {
      writer.send(error_response(503), mode, "Retry-After: 5\r\n");
      return;
    }
  }
  std::string head;
  common::append_status_line(head, 101);
  common::append_header(head, "Upgrade", "websocket");
  common::append_header(head, "Connection", "Upgrade");
  common::append_header(head, "Sec-WebSocket-Accept", common::ws::accept_key(check.key));
  common::append_header(head, "X-Backend", router.name());
  head += "\r\n";
  if (!in.write(head)) return;
  const common::Fd& fd = in.transport().fd();
  if (subscription) {
    live::run_live(fd, in.data(), *subscription);
  } else {
    run_echo(fd, in.data(), request.max_ws_message);
  }
}

}  // namespace web

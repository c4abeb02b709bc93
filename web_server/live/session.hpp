// One /live subscriber on a connection whose WebSocket handshake was accepted: every change the
// hub queues goes to the browser as a text message (kv_json.hpp form). The thread waits on the
// socket and the queue's eventfd together, so pushes leave at once and pings and the close
// handshake are answered while no change comes.
#pragma once

#include <string_view>

#include "common/fd.hpp"
#include "web_server/live/hub.hpp"

namespace web::live {

// Runs until the browser closes or goes, a send fails or times out (SO_SNDTIMEO), the queue
// overflows (close 1008, logged), or the server drains (its SHUT_RD reads as the end: close
// 1001). An idle browser is pinged every 30 s so that a vanished one is noticed. `already_read`
// holds bytes that arrived after the handshake.
void run_live(const common::Fd& fd, std::string_view already_read, Subscription& subscription);

}  // namespace web::live

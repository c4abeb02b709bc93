// Timing of replication links, shared by both ends.
#pragma once

#include "common/socket.hpp"

namespace web::replication {

struct LinkTiming {
  common::Millis heartbeat{1000};   // PROGRESS this often; the peer answers with ACK
  common::Millis dead_after{5000};  // a link silent (or unable to send) this long is dropped
  common::Millis connect_timeout{2000};
  common::Millis backoff_min{100};  // reconnect delays double from min to max
  common::Millis backoff_max{2000};
};

}  // namespace web::replication

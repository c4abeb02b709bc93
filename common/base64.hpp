// Standard base64 (RFC 4648 §4) with padding, by OpenSSL: the one encoder for JSON values that
// are not text and for the WebSocket handshake's keys.
#pragma once

#include <string>
#include <string_view>

namespace common {

std::string base64_encode(std::string_view data);

}  // namespace common

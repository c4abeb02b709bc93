#include "client/ws_handshake.hpp"

#include <array>

#include "common/base64.hpp"
#include "common/http_message.hpp"
#include "common/websocket.hpp"

namespace client {

namespace {

common::Error refused(std::string why) {
  return common::Error{common::Errc::protocol, "handshake: " + std::move(why)};
}

}  // namespace

std::string new_websocket_key(std::mt19937_64& random) {
  std::array<char, 16> bytes{};
  for (size_t i = 0; i < bytes.size(); i += 8) {
    const uint64_t word = random();
    for (size_t k = 0; k < 8; ++k) bytes[i + k] = static_cast<char>(word >> (8 * k));
  }
  return common::base64_encode(std::string_view(bytes.data(), bytes.size()));
}

std::string build_handshake(const RequestSpec& spec, std::string_view key) {
  std::string out = "GET " + spec.url.target + " HTTP/1.1\r\n";
  if (!has_header(spec, "Host")) common::append_header(out, "Host", spec.url.authority());
  for (const HeaderLine& h : spec.headers) common::append_header(out, h.name, h.value);
  common::append_header(out, "Upgrade", "websocket");
  common::append_header(out, "Connection", "Upgrade");
  common::append_header(out, "Sec-WebSocket-Version", "13");
  common::append_header(out, "Sec-WebSocket-Key", key);
  out += "\r\n";
  return out;
}

common::Status check_handshake_response(const common::ResponseHead& head, std::string_view key) {
  if (head.status != 101) {
    std::string status = "status " + std::to_string(head.status);
    if (!head.reason.empty()) status += " " + std::string(head.reason);
    return refused(status + " (expected 101)");
  }
  const auto upgrade = head.headers.get("Upgrade");
  if (!upgrade || !common::has_token(*upgrade, "websocket")) {
    return refused("101 without Upgrade: websocket");
  }
  const auto connection = head.headers.get("Connection");
  if (!connection || !common::has_token(*connection, "upgrade")) {
    return refused("101 without Connection: Upgrade");
  }
  const auto accept = head.headers.get("Sec-WebSocket-Accept");
  if (!accept) return refused("101 without Sec-WebSocket-Accept");
  if (*accept != common::ws::accept_key(key)) {
    return refused("Sec-WebSocket-Accept does not match the key sent");
  }
  return common::Ok{};
}

}  // namespace client

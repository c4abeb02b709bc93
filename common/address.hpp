// Socket addresses: parsing "ip:port", "[v6]:port" and "host:port", resolving, printing.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace common {

// A host and port as the user wrote them; `host` has no brackets ("::1", "example.org").
struct HostPort {
  std::string host;
  uint16_t port = 0;
  std::string to_string() const;  // brackets IPv6 literals again: "[::1]:8080"
};

// Splits text into host and port without resolving. Errors name the bad part, e.g.
// "1.2.3.4:99999: port out of range (0-65535)" or "localhost: missing ':port'".
Result<HostPort> parse_host_port(std::string_view text);

// A resolved socket address (IPv4 or IPv6).
class Address {
 public:
  Address() = default;
  Address(const sockaddr* sa, socklen_t len);

  const sockaddr* sockaddr_ptr() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  sockaddr* sockaddr_ptr() { return reinterpret_cast<sockaddr*>(&storage_); }
  socklen_t length() const { return length_; }
  socklen_t* length_ptr() { return &length_; }
  int family() const { return storage_.ss_family; }
  uint16_t port() const;
  std::string host() const;       // "127.0.0.1", "::1"
  std::string to_string() const;  // "127.0.0.1:8080", "[::1]:8080"

 private:
  sockaddr_storage storage_{};
  socklen_t length_ = sizeof(storage_);
};

// Resolves with getaddrinfo (numeric hosts need no lookup); takes the first TCP result.
Result<Address> resolve(const HostPort& hp);

// parse_host_port then resolve.
Result<Address> parse_address(std::string_view text);

}  // namespace common

#include "common/address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>

namespace common {

namespace {

Result<uint16_t> parse_port(std::string_view text, std::string_view port) {
  if (port.empty()) return invalid_value(text, "missing port number after ':'");
  unsigned long value = 0;
  const char* end = port.data() + port.size();
  const auto [ptr, ec] = std::from_chars(port.data(), end, value);
  if (ptr != end || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    return invalid_value(text, "port '" + std::string(port) + "' is not a number");
  }
  if (ec == std::errc::result_out_of_range || value > 65535) {
    return invalid_value(text, "port out of range (0-65535)");
  }
  return static_cast<uint16_t>(value);
}

// "[v6]:port": the host is what the brackets enclose.
Result<HostPort> parse_bracketed(std::string_view text) {
  const size_t close = text.find(']');
  if (close == std::string_view::npos)
    return invalid_value(text, "unterminated '[' (expected \"[v6]:port\")");
  const std::string_view host = text.substr(1, close - 1);
  if (host.empty()) return invalid_value(text, "empty host");
  const std::string_view rest = text.substr(close + 1);
  if (rest.empty()) return invalid_value(text, "missing ':port'");
  if (rest.front() != ':') return invalid_value(text, "expected ':port' after ']'");
  auto port = parse_port(text, rest.substr(1));
  if (!port) return port.error();
  return HostPort{std::string(host), *port};
}

}  // namespace

std::string HostPort::to_string() const {
  std::string port_text = std::to_string(port);
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port_text;
  return host + ":" + port_text;
}

Result<HostPort> parse_host_port(std::string_view text) {
  if (text.empty()) return Error{Errc::invalid_argument, "empty address (expected host:port)"};
  if (text.front() == '[') return parse_bracketed(text);
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return invalid_value(text, "missing ':port'");
  if (text.find(':', colon + 1) != std::string_view::npos) {
    return invalid_value(text, "IPv6 address needs brackets, as in \"[::1]:8080\"");
  }
  if (colon == 0) return invalid_value(text, "empty host");
  auto port = parse_port(text, text.substr(colon + 1));
  if (!port) return port.error();
  return HostPort{std::string(text.substr(0, colon)), *port};
}

Address::Address(const sockaddr* sa, socklen_t len) {
  length_ = std::min<socklen_t>(len, static_cast<socklen_t>(sizeof(storage_)));
  std::memcpy(&storage_, sa, length_);
}

uint16_t Address::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  }
  return 0;
}

std::string Address::host() const {
  char text[INET6_ADDRSTRLEN] = "";
  const void* raw = nullptr;
  if (family() == AF_INET) raw = &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr;
  if (family() == AF_INET6) raw = &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr;
  if (raw == nullptr || inet_ntop(family(), raw, text, sizeof text) == nullptr) return "?";
  return text;
}

std::string Address::to_string() const { return HostPort{host(), port()}.to_string(); }

namespace {

using AddrInfoPtr = std::unique_ptr<addrinfo, decltype(&freeaddrinfo)>;

// getaddrinfo's status for one attempt; `out` owns the list on success.
int lookup(const HostPort& hp, int flags, AddrInfoPtr& out) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = flags | AI_NUMERICSERV;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(hp.port);
  const int status = getaddrinfo(hp.host.c_str(), service.c_str(), &hints, &list);
  out.reset(list);
  return status;
}

}  // namespace

Result<Address> resolve(const HostPort& hp) {
  AddrInfoPtr list(nullptr, &freeaddrinfo);
  // Literal addresses (the common case for backends) are converted without touching DNS.
  int status = lookup(hp, AI_NUMERICHOST, list);
  if (status == EAI_NONAME) status = lookup(hp, 0, list);
  if (status == EAI_SYSTEM) return sys_error("resolve " + hp.to_string(), errno);
  if (status != 0 || list == nullptr) {
    const char* why = status != 0 ? gai_strerror(status) : "no address";
    return Error{Errc::resolve_failed, "resolve " + hp.to_string() + ": " + why};
  }
  return Address(list->ai_addr, list->ai_addrlen);
}

Result<Address> parse_address(std::string_view text) {
  auto hp = parse_host_port(text);
  if (!hp) return hp.error();
  return resolve(*hp);
}

}  // namespace common

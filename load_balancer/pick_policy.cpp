#include "load_balancer/pick_policy.hpp"

#include <netinet/in.h>

#include <array>
#include <random>
#include <string>
#include <utility>

#include "load_balancer/policies/consistent_hash.hpp"
#include "load_balancer/policies/least_conn.hpp"
#include "load_balancer/policies/power_of_two.hpp"
#include "load_balancer/policies/round_robin.hpp"

namespace lb {

namespace {

constexpr std::array<std::pair<Balance, std::string_view>, 4> kNames{{
    {Balance::roundrobin, "roundrobin"},
    {Balance::leastconn, "leastconn"},
    {Balance::random2, "random2"},
    {Balance::source, "source"},
}};

std::string_view bytes_of(const void* data, size_t size) {
  return {static_cast<const char*>(data), size};
}

}  // namespace

std::string_view to_string(Balance balance) {
  for (const auto& [kind, name] : kNames) {
    if (kind == balance) return name;
  }
  return "?";
}

common::Result<Balance> parse_balance(std::string_view text) {
  for (const auto& [kind, name] : kNames) {
    if (name == text) return kind;
  }
  return common::invalid_value(text, "unknown policy (roundrobin, leastconn, random2, source)");
}

std::unique_ptr<PickPolicy> make_policy(Balance kind, const std::vector<BackendSpec>& specs) {
  switch (kind) {
    case Balance::roundrobin:
      return std::make_unique<SmoothWeightedRoundRobin>(specs.size());
    case Balance::leastconn:
      return std::make_unique<LeastConnections>(specs.size());
    case Balance::random2:
      return std::make_unique<PowerOfTwoChoices>(std::random_device{}());
    case Balance::source:
      return std::make_unique<ConsistentHash>(specs);
  }
  return nullptr;  // unreachable: every kind has a case above
}

uint64_t affinity_key(const common::Address& client) {
  if (client.family() == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(client.sockaddr_ptr());
    return stable_hash(bytes_of(&v4->sin_addr, sizeof v4->sin_addr));
  }
  if (client.family() == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(client.sockaddr_ptr());
    // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d: the same client, the same key.
    if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
      return stable_hash(bytes_of(v6->sin6_addr.s6_addr + 12, 4));
    }
    return stable_hash(bytes_of(&v6->sin6_addr, sizeof v6->sin6_addr));
  }
  return 0;  // not an IP client: every such client shares one key
}

}  // namespace lb

#include "client/stats.hpp"

namespace client {

std::string_view to_string(Failure kind) {
  switch (kind) {
    case Failure::connect:
      return "connect";
    case Failure::reset:
      return "reset";
    case Failure::closed:
      return "closed";
    case Failure::timeout:
      return "timeout";
    case Failure::protocol:
      return "protocol";
    case Failure::io:
      return "io";
    case Failure::status_5xx:
      return "status_5xx";
  }
  return "unknown";
}

void Stats::record_failure(Failure kind, std::string_view message) {
  const auto i = static_cast<size_t>(kind);
  if (failures[i]++ == 0) first_error[i] = message;
}

void Stats::record_backend(std::string_view value) {
  // Heterogeneous find: a known backend costs no allocation.
  if (auto it = backends.find(value); it != backends.end()) {
    ++it->second;
  } else {
    backends.emplace(std::string(value), 1);
  }
}

void Stats::merge(const Stats& other) {
  latency.merge(other.latency);
  service.merge(other.service);
  requests += other.requests;
  succeeded += other.succeeded;
  responses += other.responses;
  bytes_received += other.bytes_received;
  for (size_t i = 0; i < kFailureKinds; ++i) {
    if (failures[i] == 0 && other.failures[i] != 0) first_error[i] = other.first_error[i];
    failures[i] += other.failures[i];
  }
  for (size_t i = 0; i < status.size(); ++i) status[i] += other.status[i];
  for (const auto& [name, count] : other.backends) backends[name] += count;
  without_backend += other.without_backend;
}

}  // namespace client

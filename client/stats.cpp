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
    case Failure::handshake:
      return "handshake";
    case Failure::mismatch:
      return "mismatch";
  }
  return "unknown";
}

Failure failure_of(common::Errc code) {
  switch (code) {
    case common::Errc::timed_out:
      return Failure::timeout;
    case common::Errc::reset:
      return Failure::reset;
    case common::Errc::closed:
      return Failure::closed;
    case common::Errc::protocol:
    case common::Errc::limit_exceeded:
      return Failure::protocol;
    default:
      return Failure::io;
  }
}

namespace {

uint64_t micros(std::chrono::nanoseconds d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return us > 0 ? static_cast<uint64_t>(us) : 0;
}

}  // namespace

void Stats::record_latency(std::chrono::nanoseconds latency_time,
                           std::chrono::nanoseconds service_time) {
  latency.record(micros(latency_time));
  service.record(micros(service_time));
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
  connections += other.connections;
  clean_closes += other.clean_closes;
}

}  // namespace client

// What one worker counted; merged after the workers were joined. Not thread-safe by design: each
// thread owns its Stats, so the request path takes no lock and shares no cache line.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "common/histogram.hpp"
#include "common/result.hpp"

namespace client {

// Why a request failed. A response with status >= 500 is a failure too, but also a response.
// The WebSocket mode adds handshake (the server did not accept the upgrade) and mismatch (an
// echo that differs from the message sent).
enum class Failure {
  connect,
  reset,
  closed,
  timeout,
  protocol,
  io,
  status_5xx,
  handshake,
  mismatch
};
inline constexpr size_t kFailureKinds = 9;
std::string_view to_string(Failure kind);  // "connect", "reset", ..., "mismatch"
// The failure a socket or parser error stands for: timed_out -> timeout, reset, closed,
// protocol and limit_exceeded -> protocol, anything else -> io.
Failure failure_of(common::Errc code);

struct Stats {
  common::Histogram latency;  // due time -> response complete (the corrected view)
  common::Histogram service;  // attempt start -> response complete (raw service time)
  uint64_t requests = 0;      // counted requests that ended, either way
  uint64_t succeeded = 0;     // complete responses with a status --ok-status accepts
  uint64_t responses = 0;     // complete responses of any status
  uint64_t bytes_received = 0;
  std::array<uint64_t, kFailureKinds> failures{};
  std::array<std::string, kFailureKinds> first_error{};   // an example message of each kind
  std::array<uint64_t, 1000> status{};                    // indexed by the three-digit status code
  std::map<std::string, uint64_t, std::less<>> backends;  // X-Backend value -> responses
  uint64_t without_backend = 0;                           // responses with no X-Backend
  // WebSocket mode: backends, without_backend and status count handshake responses (one per
  // connection) rather than messages.
  uint64_t connections = 0;   // handshakes the server accepted
  uint64_t clean_closes = 0;  // connections closed with a close frame answered by the server

  uint64_t failed() const { return requests - succeeded; }
  uint64_t not_ok() const { return responses - succeeded; }  // complete, with another status
  // The run's verdict, its exit status: a run that measured nothing did not pass either.
  bool passed() const { return requests != 0 && failed() == 0; }
  uint64_t failures_of(Failure kind) const { return failures[static_cast<size_t>(kind)]; }

  // `latency` from when the request was due, `service` from when it was sent.
  void record_latency(std::chrono::nanoseconds latency_time, std::chrono::nanoseconds service_time);
  void record_failure(Failure kind, std::string_view message);
  void record_backend(std::string_view value);
  void merge(const Stats& other);
};

// Counters the progress line reads while the workers run; each has one writer (its worker).
struct alignas(64) LiveCounters {
  std::atomic<uint64_t> done{0};
  std::atomic<uint64_t> errors{0};
};

}  // namespace client

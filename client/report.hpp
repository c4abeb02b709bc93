// The results of a run for people (a few aligned lines) and for programs (one JSON object), and
// the live progress line. Formatting only: the caller decides where the text goes.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>

#include "client/options.hpp"
#include "client/run.hpp"

namespace client {

// Always present: url, mode, concurrency, requests, succeeded (a status --ok-status accepts),
// failed, not_ok (complete responses with another status), responses, duration_s, rps,
// bytes_received, latency_ms {p50 p90 p99 p999 p9999 max min mean stddev}, status {code: count},
// errors {kind: count, every kind}, error_messages {kind: first message, failed kinds only},
// backends {X-Backend value: count}, without_backend. Open loop adds rate; --uncorrected adds
// service_ms (same keys as latency_ms); --histogram adds histogram [{value_ms, percentile, count}].
// WebSocket mode: requests are messages, rps is messages/s, status and backends count handshake
// responses (one per connection), and websocket {message_size, messages_per_s, connections,
// clean_closes} is added.
nlohmann::json to_json(const RunResult& result, const Options& options);

// The same facts in aligned lines; latency and service time in milliseconds.
void write_human(std::ostream& out, const RunResult& result, const Options& options);

// HdrHistogram's outputPercentileDistribution text (Value in ms, Percentile, TotalCount,
// 1/(1-Percentile), then the #[Mean ...] #[Max ...] #[Buckets ...] trailer), which its plotter
// reads; --histogram appends it to the human report.
void write_percentile_distribution(std::ostream& out, const common::Histogram& h);

// "requests 1200  rate 4010/s  errors 3  elapsed 3.0s": `rate` over the time since `previous`;
// `unit` names what is counted ("messages" in WebSocket mode).
std::string progress_line(const Progress& current, const Progress& previous,
                          std::string_view unit = "requests");

}  // namespace client

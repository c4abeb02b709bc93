#include "client/report.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <string_view>
#include <utility>

namespace client {

namespace {

using nlohmann::json;

struct Percentile {
  const char* key;    // JSON key
  const char* label;  // human label
  double percent;
};
constexpr Percentile kPercentiles[] = {
    {"p50", "p50", 50},      {"p90", "p90", 90},         {"p99", "p99", 99},
    {"p999", "p99.9", 99.9}, {"p9999", "p99.99", 99.99},
};

// Continuation lines line up under the values.
constexpr const char* kIndent = "            ";

double ms(uint64_t us) { return static_cast<double>(us) / 1000.0; }
unsigned long long ull(uint64_t value) { return value; }  // what %llu expects

// Complete responses of any status per second of the measured time.
double rate(const RunResult& r) {
  return r.duration_s > 0 ? static_cast<double>(r.stats.responses) / r.duration_s : 0;
}

std::string mode_text(const Options& o) { return o.plan.rate > 0 ? "open" : "closed"; }

__attribute__((format(printf, 1, 2))) std::string format(const char* pattern, ...) {
  char text[512];
  va_list args;
  va_start(args, pattern);
  const int n = std::vsnprintf(text, sizeof text, pattern, args);
  va_end(args);
  return std::string(text, n < 0 ? 0 : std::min(static_cast<size_t>(n), sizeof text - 1));
}

json latency_json(const common::Histogram& h) {
  json out = json::object();
  for (const Percentile& p : kPercentiles) out[p.key] = ms(h.percentile(p.percent));
  out["max"] = ms(h.max());
  out["min"] = ms(h.min());
  out["mean"] = h.mean() / 1000.0;
  out["stddev"] = h.stddev() / 1000.0;
  return out;
}

json histogram_json(const common::Histogram& h) {
  json out = json::array();
  for (const common::Histogram::Point& p : h.distribution()) {
    out.push_back({{"value_ms", ms(p.value_us)}, {"percentile", p.percent}, {"count", p.count}});
  }
  return out;
}

json status_json(const Stats& s) {
  json out = json::object();
  for (size_t code = 0; code < s.status.size(); ++code) {
    if (s.status[code] != 0) out[std::to_string(code)] = s.status[code];
  }
  return out;
}

std::pair<json, json> errors_json(const Stats& s) {
  json counts = json::object();
  json messages = json::object();
  for (size_t i = 0; i < kFailureKinds; ++i) {
    const std::string kind(to_string(static_cast<Failure>(i)));
    counts[kind] = s.failures[i];
    if (s.failures[i] != 0) messages[kind] = s.first_error[i];
  }
  return {counts, messages};
}

void write_latency(std::ostream& out, const char* title, const common::Histogram& h) {
  out << title << "\n" << kIndent;
  for (const Percentile& p : kPercentiles) {
    out << format(" %s %.3f ", p.label, ms(h.percentile(p.percent)));
  }
  out << format(" max %.3f\n", ms(h.max()));
  out << kIndent << format(" mean %.3f  stddev %.3f\n", h.mean() / 1000.0, h.stddev() / 1000.0);
}

void write_counts(std::ostream& out, const Stats& s) {
  out << "status      ";
  for (size_t code = 0; code < s.status.size(); ++code) {
    if (s.status[code] != 0) out << format(" %zu: %llu", code, ull(s.status[code]));
  }
  const bool any = std::any_of(s.status.begin(), s.status.end(), [](uint64_t n) { return n != 0; });
  out << (any ? "\n" : " none\n");
  // Responses in HTTP mode, connections in WebSocket mode: whatever carried an X-Backend or not.
  uint64_t total = s.without_backend;
  for (const auto& entry : s.backends) total += entry.second;
  const char* title = "backends    ";
  for (const auto& [name, count] : s.backends) {
    const double share = 100.0 * static_cast<double>(count) / static_cast<double>(total);
    out << title << " " << name << format(": %llu (%.1f%%)\n", ull(count), share);
    title = kIndent;
  }
  if (s.without_backend != 0) {
    out << title << format(" (no X-Backend): %llu\n", ull(s.without_backend));
  }
}

void write_failures(std::ostream& out, const Stats& s) {
  // As wrk puts it; which statuses are a success is --ok-status.
  if (s.not_ok() != 0) out << format("Non-2xx or 3xx responses: %llu\n", ull(s.not_ok()));
  if (s.failed() == 0) {
    out << "failures     none\n";
    return;
  }
  const char* title = "failures    ";
  for (size_t i = 0; i < kFailureKinds; ++i) {
    if (s.failures[i] == 0) continue;
    out << title << " " << to_string(static_cast<Failure>(i))
        << format(": %llu", ull(s.failures[i])) << " (first: " << s.first_error[i] << ")\n";
    title = kIndent;
  }
}

}  // namespace

json to_json(const RunResult& result, const Options& options) {
  const Stats& s = result.stats;
  json out = {
      {"url", options.request.url.to_string()},
      {"mode", mode_text(options)},
      {"concurrency", options.concurrency},
      {"requests", s.requests},
      {"succeeded", s.succeeded},
      {"failed", s.failed()},
      {"not_ok", s.not_ok()},
      {"responses", s.responses},
      {"duration_s", result.duration_s},
      {"rps", rate(result)},
      {"bytes_received", s.bytes_received},
      {"latency_ms", latency_json(s.latency)},
      {"status", status_json(s)},
      {"backends", json(s.backends)},
      {"without_backend", s.without_backend},
  };
  auto [errors, messages] = errors_json(s);
  out["errors"] = std::move(errors);
  out["error_messages"] = std::move(messages);
  if (options.plan.rate > 0) out["rate"] = options.plan.rate;
  if (options.uncorrected) out["service_ms"] = latency_json(s.service);
  if (options.histogram) out["histogram"] = histogram_json(s.latency);
  if (options.websocket) {
    out["websocket"] = {{"message_size", options.message_size},
                        {"messages_per_s", rate(result)},
                        {"connections", s.connections},
                        {"clean_closes", s.clean_closes}};
  }
  return out;
}

void write_human(std::ostream& out, const RunResult& result, const Options& options) {
  const Stats& s = result.stats;
  const bool open = options.plan.rate > 0;
  const char* unit = options.websocket ? "messages" : "requests";
  out << "target       " << options.request.url.to_string()
      << format(" (%s%s loop, %zu connection%s", options.websocket ? "WebSocket, " : "",
                mode_text(options).c_str(), options.concurrency,
                options.concurrency == 1 ? "" : "s")
      << (open ? format(", %.1f %s/s scheduled)\n", options.plan.rate, unit) : ")\n");
  out << format("%-12s %llu (%llu succeeded, %llu failed) in %.3f s\n", unit, ull(s.requests),
                ull(s.succeeded), ull(s.failed()), result.duration_s);
  if (options.websocket) {
    out << format("throughput   %.1f messages/s of %zu bytes, %.2f MB received\n", rate(result),
                  options.message_size, static_cast<double>(s.bytes_received) / 1e6);
    out << format("connections  %llu opened, %llu closed cleanly\n", ull(s.connections),
                  ull(s.clean_closes));
  } else {
    out << format("throughput   %.1f responses/s, %.2f MB received\n", rate(result),
                  static_cast<double>(s.bytes_received) / 1e6);
  }
  const char* latency_title = options.websocket ? "latency (ms, message to echo)" : "latency (ms)";
  write_latency(out, open ? "latency (ms, from when each request was due)" : latency_title,
                s.latency);
  if (options.uncorrected) {
    write_latency(out, "service time (ms, uncorrected: from when each request was sent)",
                  s.service);
  }
  write_counts(out, s);
  write_failures(out, s);
  if (options.histogram) {
    out << "latency distribution (ms), HdrHistogram's percentile format\n";
    write_percentile_distribution(out, s.latency);
  }
}

void write_percentile_distribution(std::ostream& out, const common::Histogram& h) {
  out << format("%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
  uint64_t total = 0;
  for (const common::Histogram::Point& p : h.distribution()) {
    total += p.count;
    const double fraction = p.percent / 100.0;
    out << format("%12.3f %2.12f %10llu", ms(p.value_us), fraction, ull(total));
    // The last line, at 100%, has no finite 1/(1-Percentile); HdrHistogram leaves it out too.
    out << (total < h.count() ? format(" %14.2f\n", 1.0 / (1.0 - fraction)) : "\n");
  }
  out << format("#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", h.mean() / 1000.0,
                h.stddev() / 1000.0);
  out << format("#[Max     = %12.3f, Total count    = %12llu]\n", ms(h.max()), ull(h.count()));
  out << format("#[Buckets = %12d, SubBuckets     = %12d]\n", common::Histogram::kPowers,
                common::Histogram::kSubBuckets);
}

std::string progress_line(const Progress& current, const Progress& previous,
                          std::string_view unit) {
  const double seconds = std::chrono::duration<double>(current.elapsed - previous.elapsed).count();
  const double rps = seconds > 0 ? static_cast<double>(current.done - previous.done) / seconds : 0;
  return format("%.*s %llu  rate %.0f/s  errors %llu  elapsed %.1fs", static_cast<int>(unit.size()),
                unit.data(), ull(current.done), rps, ull(current.errors),
                std::chrono::duration<double>(current.elapsed).count());
}

}  // namespace client

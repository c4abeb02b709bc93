#include "load_balancer/admin/metrics.hpp"

#include <array>
#include <cstdio>
#include <functional>
#include <string_view>

namespace lb {

namespace {

using Backends = std::vector<std::shared_ptr<Backend>>;

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

// A label value with \, " and newline escaped, as the format requires.
std::string escaped(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? 'n' : c;
  }
  return out;
}

void line(std::string& out, std::string_view name, std::string_view labels, uint64_t value) {
  out.append(name)
      .append("{")
      .append(labels)
      .append("} ")
      .append(std::to_string(value))
      .append("\n");
}

std::string backend_label(const Backend& backend) {
  return "backend=\"" + escaped(backend.name()) + "\"";
}

// One line per backend of a counter or gauge whose value `of` reads.
void per_backend(std::string& out, const Backends& backends, std::string_view name,
                 std::string_view type, std::string_view help,
                 const std::function<uint64_t(const Backend&)>& of) {
  family(out, name, type, help);
  for (const auto& backend : backends) line(out, name, backend_label(*backend), of(*backend));
}

std::string seconds(uint64_t micros) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", static_cast<double>(micros) / 1e6);
  return text;
}

void responses(std::string& out, const Backends& backends) {
  constexpr std::string_view name = "lb_backend_responses_total";
  family(out, name, "counter", "Responses the backend sent, by status class.");
  for (const auto& backend : backends) {
    const BackendCounters counters = backend->stats().snapshot();
    for (size_t i = 0; i < counters.classes.size(); ++i) {
      const std::string labels =
          backend_label(*backend) + ",class=\"" + std::to_string(i + 1) + "xx\"";
      line(out, name, labels, counters.classes[i]);
    }
  }
}

void states(std::string& out, const Backends& backends) {
  constexpr std::string_view name = "lb_backend_state";
  family(out, name, "gauge", "1 for the backend's current state (up, down, draining, disabled).");
  for (const auto& backend : backends) {
    for (const std::string_view state : {"up", "down", "draining", "disabled"}) {
      const std::string labels = backend_label(*backend) + ",state=\"" + std::string(state) + "\"";
      line(out, name, labels, backend->state_name() == state ? 1 : 0);
    }
  }
}

void durations(std::string& out, const Backends& backends) {
  const std::string name = "lb_backend_request_duration_seconds";
  family(out, name, "histogram", "From a request's first byte to the end of its response.");
  for (const auto& backend : backends) {
    const BackendCounters counters = backend->stats().snapshot();
    const std::string label = backend_label(*backend);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kLatencyBuckets; ++i) {
      cumulative += counters.buckets[i];
      const std::string le = i < kLatencyBoundsUs.size() ? seconds(kLatencyBoundsUs[i]) : "+Inf";
      line(out, name + "_bucket", label + ",le=\"" + le + "\"", cumulative);
    }
    out.append(name).append("_sum{").append(label).append("} ");
    out.append(seconds(counters.latency_sum_us)).append("\n");
    line(out, name + "_count", label, counters.latency_count);
  }
}

}  // namespace

std::string metrics_text(const BackendPool& pool, const ProxyStats& proxy) {
  const Backends backends = pool.backends();
  std::string out;
  per_backend(out, backends, "lb_backend_requests_total", "counter",
              "Requests the backend answered (TCP mode: connections).",
              [](const Backend& b) { return b.stats().snapshot().requests; });
  responses(out, backends);
  per_backend(out, backends, "lb_backend_connect_failures_total", "counter",
              "Connects to the backend that failed.",
              [](const Backend& b) { return b.connect_failures(); });
  per_backend(out, backends, "lb_backend_failures_total", "counter",
              "Exchanges the backend failed on live traffic (closed, timed out, malformed).",
              [](const Backend& b) { return b.stats().snapshot().failures; });
  per_backend(out, backends, "lb_backend_retries_total", "counter",
              "Requests replayed elsewhere after the backend failed them.",
              [](const Backend& b) { return b.stats().snapshot().retries; });
  per_backend(out, backends, "lb_backend_active_sessions", "gauge",
              "Sessions in flight (HTTP mode: requests; TCP mode: connections).",
              [](const Backend& b) { return b.active_sessions(); });
  per_backend(out, backends, "lb_backend_up", "gauge", "Health: 1 up, 0 down.",
              [](const Backend& b) { return b.is_up() ? uint64_t{1} : uint64_t{0}; });
  states(out, backends);
  per_backend(out, backends, "lb_backend_weight", "gauge", "Configured weight.",
              [](const Backend& b) { return uint64_t{b.weight()}; });
  durations(out, backends);
  family(out, "lb_proxy_errors_total", "counter", "Error responses the balancer sent itself.");
  for (const int status : ProxyStats::kStatuses) {
    line(out, "lb_proxy_errors_total", "status=\"" + std::to_string(status) + "\"",
         proxy.errors(status));
  }
  return out;
}

}  // namespace lb

#include "load_balancer/admin/stats_json.hpp"

#include <nlohmann/json.hpp>
#include <string>

namespace lb {

namespace {

int64_t epoch_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

nlohmann::json backend_object(const Backend& backend, const Sampler::Rates& rates,
                              bool with_history) {
  const BackendCounters counters = backend.stats().snapshot();
  nlohmann::json responses = nlohmann::json::object();
  for (size_t i = 0; i < counters.classes.size(); ++i) {
    responses[std::to_string(i + 1) + "xx"] = counters.classes[i];
  }
  nlohmann::json out = {
      {"address", backend.name()},
      {"state", backend.state_name()},
      {"health", backend.is_up() ? "up" : "down"},
      {"admin", to_string(backend.admin_state())},
      {"weight", backend.weight()},
      {"active", backend.active_sessions()},
      {"requests", counters.requests},
      {"responses", std::move(responses)},
      {"connect_failures", backend.connect_failures()},
      {"failures", counters.failures},
      {"retries", counters.retries},
      {"requests_per_s", rates.requests_per_s},
      {"error_rate", rates.error_rate},
      {"p99_ms", rates.p99_ms},
      {"last_change_ms", epoch_ms(backend.last_change())},
  };
  if (with_history) out["history"] = rates.history;
  return out;
}

nlohmann::json backends_array(const BackendPool& pool, const Sampler& sampler, bool with_history) {
  nlohmann::json backends = nlohmann::json::array();
  for (const auto& backend : pool.backends()) {
    backends.push_back(backend_object(*backend, sampler.rates(*backend), with_history));
  }
  return backends;
}

}  // namespace

std::string stats_json(const BackendPool& pool, const ProxyStats& proxy, const Sampler& sampler,
                       bool with_history, std::chrono::system_clock::time_point now) {
  nlohmann::json errors = nlohmann::json::object();
  for (const int status : ProxyStats::kStatuses) {
    errors[std::to_string(status)] = proxy.errors(status);
  }
  const nlohmann::json stats = {{"time_ms", epoch_ms(now)},
                                {"proxy_errors", std::move(errors)},
                                {"backends", backends_array(pool, sampler, with_history)}};
  return stats.dump();
}

std::string backends_json(const BackendPool& pool, const Sampler& sampler) {
  return backends_array(pool, sampler, false).dump();
}

std::string backend_json(const Backend& backend, const Sampler::Rates& rates) {
  return backend_object(backend, rates, false).dump();
}

}  // namespace lb

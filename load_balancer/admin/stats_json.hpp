// GET /stats and the dashboard's once-a-second event: every backend's state and counters, the
// rates the sampler computed, and the balancer's own error responses, as one JSON object:
//   {"time_ms": ..., "proxy_errors": {"502": n, "503": n, "504": n},
//    "backends": [{"address": "127.0.0.1:8081", "state": "up", "health": "up",
//                  "admin": "active", "weight": 1, "active": 0, "requests": 10,
//                  "responses": {"1xx": 0, "2xx": 10, ...}, "connect_failures": 0,
//                  "failures": 0, "retries": 0, "requests_per_s": 2.0, "error_rate": 0.0,
//                  "p99_ms": 1.2, "last_change_ms": ..., "history": [...]}, ...]}
// ("history", the requests/s of the last five minutes, only when asked for: the dashboard.)
// Each function returns the JSON text, so that the JSON library stays inside stats_json.cpp.
#pragma once

#include <chrono>
#include <string>

#include "load_balancer/admin/sampler.hpp"
#include "load_balancer/backend.hpp"
#include "load_balancer/backend_pool.hpp"
#include "load_balancer/proxy_stats.hpp"

namespace lb {

std::string stats_json(
    const BackendPool& pool, const ProxyStats& proxy, const Sampler& sampler, bool with_history,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// The "backends" array of stats_json alone, without history (GET /backends).
std::string backends_json(const BackendPool& pool, const Sampler& sampler);

// One backend's object of that array (GET /backends/ADDR).
std::string backend_json(const Backend& backend, const Sampler::Rates& rates);

}  // namespace lb

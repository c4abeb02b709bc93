// GET /metrics: the Prometheus text exposition format (version 0.0.4). Per backend, labelled
// backend="ADDR": lb_backend_requests_total, lb_backend_responses_total{class="2xx"},
// lb_backend_connect_failures_total, lb_backend_failures_total, lb_backend_retries_total,
// lb_backend_active_sessions, lb_backend_up (health: 1 up, 0 down),
// lb_backend_state{state="up|down|draining|disabled"} (1 for the current one), lb_backend_weight,
// and the histogram lb_backend_request_duration_seconds (_bucket{le=...}, _sum, _count).
// For the balancer itself: lb_proxy_errors_total{status="502|503|504"}.
#pragma once

#include <string>

#include "load_balancer/backend_pool.hpp"
#include "load_balancer/proxy_stats.hpp"

namespace lb {

std::string metrics_text(const BackendPool& pool, const ProxyStats& proxy);

}  // namespace lb

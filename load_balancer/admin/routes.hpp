// What each admin request does (everything but the streaming of /events, which the server runs):
//   GET  /                          the dashboard (?token= accepted)
//   GET  /events                    text/event-stream, one stats_json snapshot a second
//                                   (?token= accepted)
//   GET  /stats                     stats_json
//   GET  /metrics                   metrics_text
//   GET  /backends                  the backends, as in /stats
//   POST /backends                  add one: body "ADDR [weight=N]" or
//                                   {"address": "ip:port", "weight": N}
//   DELETE /backends/ADDR           remove it (sessions in flight finish)
//   POST /backends/ADDR/drain       no new sessions; those in flight finish
//   POST /backends/ADDR/disable     no new sessions until enabled
//   POST /backends/ADDR/enable      back to taking sessions
// Statuses: 401 without the token (when one is set), 404 unknown path or backend, 405 wrong
// method (with Allow), 409 a backend added twice, 400 a body that does not parse.
#pragma once

#include <string>

#include "load_balancer/admin/admin_http.hpp"
#include "load_balancer/admin/sampler.hpp"
#include "load_balancer/balancer.hpp"

namespace lb {

struct AdminContext {
  Balancer& balancer;
  const Sampler& sampler;
  const std::string& token;  // empty: none required
  const std::string& page;   // the dashboard
};

struct Routed {
  AdminResponse response;
  bool events = false;  // authorized GET /events: the server streams instead of responding
};

Routed route(const AdminRequest& request, AdminContext& context);

}  // namespace lb

#include "load_balancer/admin/routes.hpp"

#include <nlohmann/json.hpp>
#include <string_view>

#include "load_balancer/admin/auth.hpp"
#include "load_balancer/admin/metrics.hpp"
#include "load_balancer/admin/stats_json.hpp"
#include "load_balancer/backends_file.hpp"

namespace lb {

namespace {

AdminResponse not_allowed(std::string_view allow) {
  AdminResponse response = error_response(405, "method not allowed");
  response.extra_headers = "Allow: " + std::string(allow) + "\r\n";
  return response;
}

AdminResponse control_response(const ControlResult& result) {
  switch (result.code) {
    case ControlResult::Code::ok:
      return json_response(200, nlohmann::json{{"ok", true}, {"message", result.message}}.dump());
    case ControlResult::Code::not_found:
      return error_response(404, result.message);
    case ControlResult::Code::conflict:
      return error_response(409, result.message);
  }
  return error_response(500, "unknown outcome");
}

// The body of POST /backends: "ADDR [weight=N]" or {"address": ..., "weight": N}.
common::Result<BackendSpec> spec_from_body(const std::string& body) {
  const size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || body[first] != '{') {
    return parse_backend_line(body.substr(0, body.find_last_not_of(" \t\r\n") + 1));
  }
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("address") ||
      !json["address"].is_string()) {
    return common::invalid_value("body", "expected {\"address\": \"ip:port\", \"weight\": N}");
  }
  auto spec = parse_backend_spec(json["address"].get<std::string>());
  if (!spec) return spec.error();
  if (json.contains("weight")) {
    const auto& weight = json["weight"];
    if (!weight.is_number_integer() || weight.get<int64_t>() < 1 ||
        weight.get<int64_t>() > kMaxWeight) {
      return common::invalid_value("weight", "must be 1.." + std::to_string(kMaxWeight));
    }
    spec->weight = weight.get<uint32_t>();
  }
  return spec;
}

AdminResponse backends_collection(const AdminRequest& request, AdminContext& context) {
  if (request.method == "GET") {
    return json_response(200, backends_json(context.balancer.pool(), context.sampler));
  }
  if (request.method != "POST") return not_allowed("GET, POST");
  auto spec = spec_from_body(request.body);
  if (!spec) return error_response(400, spec.error().message);
  return control_response(context.balancer.add_backend(std::move(*spec)));
}

// /backends/ADDR and /backends/ADDR/ACTION.
AdminResponse backend_item(const AdminRequest& request, std::string_view rest,
                           AdminContext& context) {
  const size_t slash = rest.find('/');
  const std::string_view name = rest.substr(0, slash);
  if (slash == std::string_view::npos) {
    if (request.method == "DELETE") return control_response(context.balancer.remove_backend(name));
    if (request.method != "GET") return not_allowed("GET, DELETE");
    const auto backend = context.balancer.pool().find(name);
    if (!backend) return error_response(404, std::string(name) + ": no such backend");
    return json_response(200, backend_json(*backend, context.sampler.rates(*backend)));
  }
  const std::string_view action = rest.substr(slash + 1);
  AdminState state = AdminState::active;
  if (action == "drain") {
    state = AdminState::draining;
  } else if (action == "disable") {
    state = AdminState::disabled;
  } else if (action != "enable") {
    return error_response(404, "unknown action '" + std::string(action) + "'");
  }
  if (request.method != "POST") return not_allowed("POST");
  return control_response(context.balancer.set_backend_state(name, state));
}

Routed get_only(const AdminRequest& request, AdminResponse response) {
  if (request.method != "GET") return {not_allowed("GET")};
  return {std::move(response)};
}

}  // namespace

Routed route(const AdminRequest& request, AdminContext& context) {
  const std::string& path = request.path;
  const bool page_or_events = path == "/" || path == "/events";
  if (!authorized(context.token, request.authorization, request.query,
                  page_or_events && request.method == "GET")) {
    AdminResponse response = error_response(401, "missing or wrong token");
    response.extra_headers = "WWW-Authenticate: Bearer\r\n";
    return {std::move(response)};
  }
  const Balancer& balancer = context.balancer;
  if (path == "/") return get_only(request, {200, "text/html; charset=utf-8", context.page, {}});
  if (path == "/events") {
    if (request.method != "GET") return {not_allowed("GET")};
    return {{}, true};
  }
  if (path == "/stats") {
    return get_only(request, json_response(200, stats_json(balancer.pool(), balancer.proxy_stats(),
                                                           context.sampler, false)));
  }
  if (path == "/metrics") {
    return get_only(request, {200,
                              "text/plain; version=0.0.4; charset=utf-8",
                              metrics_text(balancer.pool(), balancer.proxy_stats()),
                              {}});
  }
  if (path == "/backends") return {backends_collection(request, context)};
  constexpr std::string_view kPrefix = "/backends/";
  if (path.starts_with(kPrefix)) {
    return {backend_item(request, std::string_view(path).substr(kPrefix.size()), context)};
  }
  return {error_response(404, "no such path: " + path)};
}

}  // namespace lb

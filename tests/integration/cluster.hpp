// Building blocks of the cluster tests: web_servers on ephemeral ports, the balancer's backend
// list, header lookups in raw responses, and polling with a deadline.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/harness.hpp"

namespace harness {

struct Server {
  Process process;
  std::string address;  // "127.0.0.1:PORT"
};

// A web_server named `name`, ready (its "listening on" line seen); a failed start is a test
// failure that quotes its stderr.
std::unique_ptr<Server> start_web_server(const std::string& name,
                                         const std::string& listen = "127.0.0.1:0");
// Servers named s0, s1, ...
std::vector<std::unique_ptr<Server>> start_web_servers(int n);
// "addr1,addr2,..." for --backends.
std::string backends_flag(const std::vector<std::unique_ptr<Server>>& servers);

// The value of field `name` (lower case) in a message head, or "" when there is none.
std::string field_of(std::string_view message, const std::string& name);

// Polls `condition` every 20ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 30s);

// A port that nothing listens on (bound once, then released), on a loopback address of its own
// (127.x.y.z at random, never 127.0.0.1 or .2): between its release and the server's bind, the
// ephemeral ports other sockets take on 127.0.0.1 (every connect() in any test) cannot land on it.
std::string free_address();

// A load_balancer started with --admin 127.0.0.1:0 (and `args`), ready: both its
// "admin listening on" and "listening on" lines seen; a failed start is a test failure.
struct AdminBalancer {
  Process process;
  std::string address;  // the balancer's "127.0.0.1:PORT"
  std::string admin;    // its admin endpoint's
};
std::unique_ptr<AdminBalancer> start_admin_balancer(const std::vector<std::string>& args);

// One request to an admin endpoint, e.g. ("POST", "/backends", "127.0.0.1:8081"), with
// "Authorization: Bearer <token>" when a token is given; the raw response.
std::string admin_request(const std::string& admin, const std::string& method,
                          const std::string& target, const std::string& body = "",
                          const std::string& token = "");
// What follows the head of a raw response.
std::string body_of(std::string_view response);

}  // namespace harness

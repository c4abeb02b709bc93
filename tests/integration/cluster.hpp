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

// A port on 127.0.0.1 that nothing listens on (bound once, then released).
std::string free_address();

}  // namespace harness

#include "tests/integration/cluster.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <thread>

#include "common/address.hpp"
#include "common/socket.hpp"

namespace harness {

std::unique_ptr<Server> start_web_server(const std::string& name, const std::string& listen) {
  Process process({exe("web_server"), "--listen", listen, "--name", name});
  std::string address = process.wait_listening();
  EXPECT_FALSE(address.empty()) << "web_server " << name << " did not start: " << process.err();
  return std::make_unique<Server>(Server{std::move(process), std::move(address)});
}

std::vector<std::unique_ptr<Server>> start_web_servers(int n) {
  std::vector<std::unique_ptr<Server>> servers;
  for (int i = 0; i < n; ++i) servers.push_back(start_web_server("s" + std::to_string(i)));
  return servers;
}

std::string backends_flag(const std::vector<std::unique_ptr<Server>>& servers) {
  std::string list;
  for (const auto& server : servers) list += (list.empty() ? "" : ",") + server->address;
  return list;
}

std::string field_of(std::string_view message, const std::string& name) {
  std::string lower(message.substr(0, message.find("\r\n\r\n")));
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const size_t at = lower.find("\r\n" + name + ":");
  if (at == std::string::npos) return "";
  const size_t start = message.find_first_not_of(' ', at + name.size() + 3);
  return std::string(message.substr(start, message.find("\r\n", start) - start));
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

std::string free_address() {
  auto listener = common::listen_tcp(*common::parse_address("127.0.0.1:0"));
  EXPECT_TRUE(listener.ok());
  return common::local_address(*listener)->to_string();
}

}  // namespace harness

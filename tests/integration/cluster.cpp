#include "tests/integration/cluster.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <random>
#include <thread>

#include "common/address.hpp"
#include "common/socket.hpp"

namespace harness {

std::unique_ptr<Server> start_web_server(const std::string& name, const std::string& listen) {
  Process process(
      {exe("web_server"), "--listen", listen, "--name", name, "--data-dir", temp_dir()});
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
  static std::mutex mutex;
  static std::mt19937 rng{std::random_device{}()};
  std::string host;
  {
    const std::lock_guard lock(mutex);
    std::uniform_int_distribution<int> byte(1, 254);
    host = "127." + std::to_string(byte(rng)) + "." + std::to_string(byte(rng)) + "." +
           std::to_string(byte(rng));
  }
  auto listener = common::listen_tcp(*common::parse_address(host + ":0"));
  EXPECT_TRUE(listener.ok());
  return common::local_address(*listener)->to_string();
}

std::unique_ptr<AdminBalancer> start_admin_balancer(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {exe("load_balancer"), "--listen", "127.0.0.1:0", "--admin",
                                   "127.0.0.1:0"};
  argv.insert(argv.end(), args.begin(), args.end());
  Process process(std::move(argv));
  std::string admin = process.wait_prefixed_line("admin listening on ");
  std::string address = process.wait_listening();
  EXPECT_FALSE(admin.empty() || address.empty()) << "load_balancer did not start: " << process.err();
  return std::make_unique<AdminBalancer>(
      AdminBalancer{std::move(process), std::move(address), std::move(admin)});
}

std::string admin_request(const std::string& admin, const std::string& method,
                          const std::string& target, const std::string& body,
                          const std::string& token) {
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n";
  if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return harness::exchange(admin, request);
}

std::string body_of(std::string_view response) {
  const size_t end = response.find("\r\n\r\n");
  return end == std::string_view::npos ? "" : std::string(response.substr(end + 4));
}

}  // namespace harness

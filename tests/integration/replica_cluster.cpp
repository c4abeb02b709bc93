#include "tests/integration/replica_cluster.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/cluster.hpp"

namespace harness {

Reply http(const std::string& address, std::string_view method, const std::string& path,
           std::string_view body) {
  std::string request = std::string(method) + " " + path +
                        " HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
  Reply reply;
  reply.raw = harness::exchange(address, request);
  reply.status = status_of(reply.raw);
  reply.version = field_of(reply.raw, "x-version");
  const size_t at = reply.raw.find("\r\n\r\n");
  if (at != std::string::npos) reply.body = reply.raw.substr(at + 4);
  return reply;
}

Cluster::Cluster(size_t n) : root_(temp_dir()) {
  secret_ = write_file("secret", "the cluster's shared secret\n");
  for (size_t i = 0; i < n; ++i) add("r" + std::to_string(i));
}

Cluster::~Cluster() {
  nodes_.clear();
  std::error_code ignored;
  std::filesystem::remove_all(root_, ignored);
}

Node& Cluster::add(const std::string& name) {
  nodes_.push_back(Node{
      name, free_address(), free_address(), root_ + "/" + name, {}, {}, secret_, {}, {}, nullptr});
  return nodes_.back();
}

std::string Cluster::write_file(const std::string& name, const std::string& content) {
  const std::string path = root_ + "/" + name;
  std::ofstream(path) << content;
  return path;
}

void Cluster::full_mesh() {
  for (Node& node : nodes_) {
    for (const Node& other : nodes_) {
      if (&other != &node) node.peers.push_back(other.repl);
    }
  }
}

void Cluster::start(size_t i) {
  Node& node = nodes_[i];
  std::string peers;
  for (const auto& peer : node.peers) peers += (peers.empty() ? "" : ",") + peer;
  // env(1) execs the server in place, so the Process's PID is the server's for signals.
  std::vector<std::string> argv;
  if (!node.env.empty()) argv.push_back("/usr/bin/env");
  argv.insert(argv.end(), node.env.begin(), node.env.end());
  argv.insert(argv.end(), {exe("web_server"), "--listen", node.http, "--name", node.name,
                           "--data-dir", node.dir, "--replication-listen", node.repl,
                           "--cluster-secret-file", node.secret_file});
  if (node.peers_file.empty()) {
    argv.insert(argv.end(), {"--peers", peers});
  } else {
    argv.insert(argv.end(), {"--peers-file", node.peers_file});
  }
  argv.insert(argv.end(), node.extra.begin(), node.extra.end());
  node.process = std::make_unique<Process>(argv);
  EXPECT_EQ(node.process->wait_prefixed_line("replication listening on "), node.repl)
      << node.process->err();
  EXPECT_EQ(node.process->wait_listening(), node.http) << node.process->err();
}

void Cluster::start_all() {
  for (size_t i = 0; i < nodes_.size(); ++i) start(i);
}

void Cluster::kill(size_t i) {
  nodes_[i].process->signal(SIGKILL);
  nodes_[i].process->wait_exit();
}

nlohmann::json Cluster::status(size_t i) {
  const Reply reply = http(nodes_[i].http, "GET", "/replication");
  if (reply.status != 200) return nlohmann::json();
  return nlohmann::json::parse(reply.body, nullptr, false);
}

std::string Cluster::digest(size_t i) {
  const auto json = status(i);
  return json.is_object() && json.contains("digest") ? json["digest"].get<std::string>() : "";
}

bool Cluster::converged(const std::vector<size_t>& which) {
  const std::string first = digest(which.front());
  if (first.empty()) return false;
  for (size_t i : which) {
    if (digest(i) != first) return false;
  }
  return true;
}

bool Cluster::converged() {
  std::vector<size_t> all;
  for (size_t i = 0; i < nodes_.size(); ++i) all.push_back(i);
  return converged(all);
}

std::string Cluster::value(size_t i, const std::string& key) {
  const Reply reply = http(nodes_[i].http, "GET", "/kv/" + key);
  return reply.status == 200 ? reply.body : "<" + std::to_string(reply.status) + ">";
}

}  // namespace harness

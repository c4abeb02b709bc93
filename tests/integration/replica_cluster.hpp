// Replicated web_servers for the replication and nemesis tests: every server's HTTP and
// replication addresses are fixed before any starts, so that each can name its peers (or fault
// proxies in front of them) and a restarted server comes back where it was, on its data dir.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/integration/harness.hpp"
#include "tests/integration/history.hpp"  // version_order

namespace harness {

// One HTTP answer, parsed enough for the KV API.
struct Reply {
  int status = 0;
  std::string version;  // X-Version
  std::string body;
  std::string raw;
};
Reply http(const std::string& address, std::string_view method, const std::string& path,
           std::string_view body = "");

inline bool is_2xx(int status) { return status >= 200 && status < 300; }

struct Node {
  std::string name, http, repl, dir;
  std::vector<std::string> peers;  // replication addresses (or proxies in front of them)
  std::vector<std::string> extra;  // more flags
  std::string secret_file;
  std::vector<std::string> env;  // "NAME=value" added to the server's environment
  std::string peers_file;        // when set, --peers-file instead of --peers
  std::unique_ptr<Process> process;
};

class Cluster {
 public:
  explicit Cluster(size_t n);
  ~Cluster();  // SIGKILLs and reaps whatever still runs, removes the data dirs

  Node& add(const std::string& name);
  std::string write_file(const std::string& name, const std::string& content);
  void full_mesh();
  Node& operator[](size_t i) { return nodes_[i]; }
  size_t size() const { return nodes_.size(); }

  // Starts server i and waits for both its ready lines (a failure is a test failure).
  void start(size_t i);
  void start_all();
  void kill(size_t i);  // SIGKILL, then reaps it

  nlohmann::json status(size_t i);  // GET /replication, or null
  std::string digest(size_t i);     // "" when the server does not answer
  // Every listed server is up and has the same contents.
  bool converged(const std::vector<size_t>& which);
  bool converged();
  // The value of `key` on server i, or "<status>" when it answered no value.
  std::string value(size_t i, const std::string& key);

 private:
  std::string root_;
  std::string secret_;
  std::vector<Node> nodes_;
};

}  // namespace harness

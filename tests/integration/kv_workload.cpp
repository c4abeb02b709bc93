#include "tests/integration/kv_workload.hpp"

#include <random>

namespace harness {

namespace {

// Bounds a client's loop by count as well as by the stop request (time).
constexpr int kMaxRequestsPerClient = 200000;

}  // namespace

std::vector<std::string> workload_keys(size_t count) {
  std::vector<std::string> keys;
  for (size_t i = 0; i < count; ++i) {
    keys.push_back((i < 10 ? "k0" : "k") + std::to_string(i));
  }
  return keys;
}

Workload::Workload(std::vector<std::string> servers, History& history, WorkloadOptions options)
    : servers_(std::move(servers)),
      history_(history),
      options_(options),
      keys_(workload_keys(options.keys)) {
  for (size_t id = 0; id < options_.clients; ++id) {
    threads_.emplace_back([this, id](std::stop_token stop) { client(id, stop); });
  }
}

void Workload::stop() {
  for (auto& thread : threads_) thread.request_stop();
  threads_.clear();  // joins
}

void Workload::client(size_t id, std::stop_token stop) {
  std::mt19937_64 random(options_.seed * 1000003 + id);
  const int client = static_cast<int>(id);
  for (int n = 0; n < kMaxRequestsPerClient && !stop.stop_requested(); ++n) {
    const std::string& key = keys_[random() % keys_.size()];
    const size_t server = random() % servers_.size();
    const bool remove = options_.deletes && random() % 3 == 0;
    const std::string value = "w" + std::to_string(id) + "-" + std::to_string(n);
    Op write = kv_request(remove ? OpKind::del : OpKind::put, servers_[server], server, key, value,
                          options_.timeout, history_.epoch());
    write.client = client;
    const bool check_read = !remove && write.outcome == Outcome::ok;
    const long index = history_.record(std::move(write));
    if (!check_read) continue;
    Op read = kv_request(OpKind::get, servers_[server], server, key, "", options_.timeout,
                         history_.epoch());
    read.client = client;
    read.after_put = index;
    history_.record(std::move(read));
  }
}

}  // namespace harness

// load_balancer: command-line flags -> Config -> Balancer; signals end it.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "common/address.hpp"
#include "common/log.hpp"
#include "common/signals.hpp"
#include "common/socket.hpp"
#include "common/units.hpp"
#include "load_balancer/backend_spec.hpp"
#include "load_balancer/balancer.hpp"
#include "load_balancer/config.hpp"

namespace {

// The value of a flag that only the suite's own parsers understand, or a CLI11 error naming it.
template <class T>
T checked(const std::string& flag, common::Result<T> result) {
  if (!result) throw CLI::ValidationError(flag, result.error().message);
  return std::move(*result);
}

common::Millis positive_duration(const std::string& flag, const std::string& text) {
  const auto duration = checked(flag, common::parse_duration(text));
  if (duration.count() == 0) throw CLI::ValidationError(flag, text + ": must be more than 0");
  return duration;
}

const std::map<std::string, lb::Mode> kModes{{"tcp", lb::Mode::tcp}, {"http", lb::Mode::http}};
const std::map<std::string, lb::CheckKind> kCheckKinds{{"tcp", lb::CheckKind::tcp},
                                                       {"http", lb::CheckKind::http}};

struct Flags {
  std::string listen = "0.0.0.0:8080";
  std::string backends;
  std::string mode = "http";
  std::string balance = "roundrobin";
  std::string slow_start = "0";
  std::string health_check = "tcp";
  std::string health_interval = "500ms";
  std::string health_timeout = "1s";
  std::string connect_timeout = "1s";
  std::string drain_timeout = "10s";
  // HTTP mode
  std::string client_timeout = "10s";
  std::string server_timeout = "10s";
  std::string idle_timeout = "60s";
  std::string tunnel_timeout = "1h";
  std::string max_header_bytes = "16k";
  std::string max_body = "100m";
  std::string upstream_idle_time = "30s";
};

void add_flags(CLI::App& app, Flags& flags, lb::Config& config) {
  app.add_option("--listen", flags.listen, "Address to accept clients on")->capture_default_str();
  app.add_option("--backends", flags.backends, "host:port[@weight],... (weight 1-256)")->required();
  app.add_option("--mode", flags.mode, "http: balance each request; tcp: relay bytes")
      ->check(CLI::IsMember(kModes))
      ->capture_default_str();
  app.add_option("--balance", flags.balance,
                 "roundrobin | leastconn | random2 | source (a client IP sticks to a backend)")
      ->capture_default_str();
  app.add_option("--slow-start", flags.slow_start,
                 "A backend back up ramps from 10% to all of its weight over this, 0 = off")
      ->capture_default_str();
  app.add_option("--health-check", flags.health_check, "tcp: connect; http: GET /health is 2xx")
      ->check(CLI::IsMember(kCheckKinds))
      ->capture_default_str();
  app.add_option("--health-interval", flags.health_interval, "Between checks")
      ->capture_default_str();
  app.add_option("--health-timeout", flags.health_timeout, "Bound of one check")
      ->capture_default_str();
  app.add_option("--fall", config.thresholds.fall, "Failed checks that take a backend down")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--rise", config.thresholds.rise, "Passed checks that bring a backend back")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--connect-timeout", flags.connect_timeout, "Bound of a connect to a backend")
      ->capture_default_str();
  app.add_option("--max-connections", config.max_connections, "Client connections at once")
      ->check(CLI::Range(size_t{1}, size_t{1000000}))
      ->capture_default_str();
  app.add_option("--drain-timeout", flags.drain_timeout,
                 "On SIGTERM, how long open connections may finish")
      ->capture_default_str();
}

void add_http_flags(CLI::App& app, Flags& flags, lb::Config& config) {
  app.add_option("--client-timeout", flags.client_timeout,
                 "A request head must arrive whole within this (else 408)")
      ->capture_default_str();
  app.add_option("--server-timeout", flags.server_timeout,
                 "From a request to the backend's first response byte (else 504)")
      ->capture_default_str();
  app.add_option("--idle-timeout", flags.idle_timeout, "A keep-alive connection between requests")
      ->capture_default_str();
  app.add_option("--tunnel-timeout", flags.tunnel_timeout, "An idle upgraded (WebSocket) tunnel")
      ->capture_default_str();
  app.add_option("--max-header-bytes", flags.max_header_bytes, "Largest request head (else 431)")
      ->capture_default_str();
  app.add_option("--max-body", flags.max_body, "Largest request body, 0 = no limit (else 413)")
      ->capture_default_str();
  app.add_option("--retries", config.http.retries,
                 "Replays of an idempotent request a backend closed on without answering")
      ->check(CLI::Range(0, 10))
      ->capture_default_str();
  app.add_option("--upstream-keepalive", config.upstream_pool.max_idle_per_backend,
                 "Idle connections kept per backend, 0 = none")
      ->check(CLI::Range(size_t{0}, size_t{10000}))
      ->capture_default_str();
  app.add_option("--upstream-idle-time", flags.upstream_idle_time,
                 "An idle backend connection older than this is not reused")
      ->capture_default_str();
  app.add_option("--access-log", config.access_log, "One line per request to FILE, or - (stdout)");
}

void convert_http(const Flags& flags, lb::Config& config) {
  config.http.client_timeout = positive_duration("--client-timeout", flags.client_timeout);
  config.http.server_timeout = positive_duration("--server-timeout", flags.server_timeout);
  config.http.idle_timeout = positive_duration("--idle-timeout", flags.idle_timeout);
  config.http.tunnel_timeout = positive_duration("--tunnel-timeout", flags.tunnel_timeout);
  const uint64_t head = checked("--max-header-bytes", common::parse_size(flags.max_header_bytes));
  if (head < 1024 || head > 1024 * 1024) {
    throw CLI::ValidationError("--max-header-bytes", flags.max_header_bytes + ": must be 1k to 1m");
  }
  config.http.max_header_bytes = static_cast<size_t>(head);
  config.http.max_body = checked("--max-body", common::parse_size(flags.max_body));
  config.upstream_pool.max_idle_time =
      positive_duration("--upstream-idle-time", flags.upstream_idle_time);
}

void convert(const Flags& flags, lb::Config& config) {
  config.listen = checked("--listen", common::parse_address(flags.listen));
  config.backends = checked("--backends", lb::parse_backend_list(flags.backends));
  config.mode = kModes.at(flags.mode);  // IsMember has checked the names
  config.balance = checked("--balance", lb::parse_balance(flags.balance));
  config.slow_start = checked("--slow-start", common::parse_duration(flags.slow_start));
  config.health.kind = kCheckKinds.at(flags.health_check);
  config.health.interval = positive_duration("--health-interval", flags.health_interval);
  config.health.timeout = positive_duration("--health-timeout", flags.health_timeout);
  config.connect_timeout = positive_duration("--connect-timeout", flags.connect_timeout);
  config.drain_timeout = checked("--drain-timeout", common::parse_duration(flags.drain_timeout));
  convert_http(flags, config);
}

// Fills config from the command line. Returns the exit status when main should stop: 0 after
// --help, 2 after a bad flag (one line on stderr naming it).
std::optional<int> parse_flags(int argc, char** argv, lb::Config& config) {
  CLI::App app{"HTTP and TCP load balancer with active health checks", "load_balancer"};
  Flags flags;
  add_flags(app, flags, config);
  add_http_flags(app, flags, config);
  try {
    app.parse(argc, argv);
    convert(flags, config);
  } catch (const CLI::Success& e) {  // --help
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "load_balancer: " << e.what() << std::endl;
    return 2;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  common::block_shutdown_signals();  // first: every thread started later inherits the mask
  lb::Config config;
  if (const auto status = parse_flags(argc, argv, config)) return *status;
  common::raise_fd_limit();

  auto balancer = lb::Balancer::open(config);
  if (!balancer) {
    std::cerr << "load_balancer: " << balancer.error().message << std::endl;
    return 1;
  }
  std::thread server([&] { (*balancer)->serve(); });
  std::cout << "listening on " << (*balancer)->local_address().to_string() << std::endl;

  int sig = common::wait_for_signal();
  while (sig == SIGHUP) sig = common::wait_for_signal();  // reloading is not supported yet
  common::log("received ", strsignal(sig), ": shutting down");
  (*balancer)->shutdown();
  server.join();
  return 0;
}

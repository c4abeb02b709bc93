// load_balancer: command-line flags -> Config -> Balancer (and the admin endpoint); signals
// reload and end it.
//
// Signals: SIGHUP re-reads --backends-file. SIGTERM or SIGINT stop accepting and drain: open
// connections may finish for up to --drain-timeout; a second SIGTERM or SIGINT ends the drain at
// once (what is still open is shut).
//
// Restart without refused connections: the listener has SO_REUSEPORT, so
//   1. start the new balancer on the same --listen address while the old one runs (both
//      accept; the kernel spreads new connections over the two);
//   2. once the new one printed "listening on", send SIGTERM to the old one. It accepts the
//      connections already queued in its backlog, closes its listener (new connections now all
//      go to the new process) and drains what it has.
// The residual race: a connection the kernel queues on the old listener between the old
// process's last accept and its close is reset, unless net.ipv4.tcp_migrate_req=1 (Linux 5.14+),
// which moves such connections to the new listener. Set it where restarts must lose nothing:
//   sysctl -w net.ipv4.tcp_migrate_req=1
#include <CLI/CLI.hpp>
#include <iostream>
#include <map>
#include <optional>
#include <string>

#include "common/address.hpp"
#include "common/command_line.hpp"
#include "common/log.hpp"
#include "common/service_notify.hpp"
#include "common/signals.hpp"
#include "common/socket.hpp"
#include "common/startup.hpp"
#include "common/units.hpp"
#include "load_balancer/admin/admin_server.hpp"
#include "load_balancer/backend_spec.hpp"
#include "load_balancer/backends_file.hpp"
#include "load_balancer/balancer.hpp"
#include "load_balancer/config.hpp"

namespace {

constexpr std::string_view kName = "load_balancer";

using common::BadFlag;
using common::checked;

common::Millis positive_duration(const std::string& flag, const std::string& text) {
  const auto duration = checked(flag, common::parse_duration(text));
  if (duration.count() == 0) throw BadFlag(flag + ": " + text + ": must be more than 0");
  return duration;
}

const std::map<std::string, lb::Mode> kModes{{"tcp", lb::Mode::tcp}, {"http", lb::Mode::http}};
const std::map<std::string, lb::CheckKind> kCheckKinds{{"tcp", lb::CheckKind::tcp},
                                                       {"http", lb::CheckKind::http}};

struct Flags {
  std::string listen = "0.0.0.0:8080";
  std::optional<std::string> backends;  // given, even empty, or not
  std::string backends_file;
  std::string admin;
  std::string admin_token_file;
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
  app.add_option("--backends", flags.backends, "host:port[@weight],... (weight 1-256)");
  app.add_option("--backends-file", flags.backends_file,
                 "One backend a line, 'ADDR [weight=N]', # comments; re-read on SIGHUP");
  app.add_option("--admin", flags.admin,
                 "Admin endpoint (dashboard, /stats, /metrics, /backends) on host:port; off "
                 "unless given");
  app.add_option("--admin-token-file", flags.admin_token_file,
                 "Admin requests need 'Authorization: Bearer <token>' (or ?token= for the "
                 "dashboard and /events), the token being this file's content");
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
    throw BadFlag("--max-header-bytes: " + flags.max_header_bytes + ": must be 1k to 1m");
  }
  config.http.max_header_bytes = static_cast<size_t>(head);
  config.http.max_body = checked("--max-body", common::parse_size(flags.max_body));
  config.upstream_pool.max_idle_time =
      positive_duration("--upstream-idle-time", flags.upstream_idle_time);
}

// --backends and --backends-file together; at least one backend in all, none listed twice.
void convert_backends(const Flags& flags, lb::Config& config) {
  if (!flags.backends && flags.backends_file.empty()) {
    throw BadFlag("--backends: --backends is required (or --backends-file)");
  }
  if (flags.backends) {
    config.backends = checked("--backends", lb::parse_backend_list(*flags.backends));
  }
  if (flags.backends_file.empty()) return;
  config.backends_file = flags.backends_file;
  config.file_backends = checked("--backends-file", lb::read_backends_file(flags.backends_file));
  for (const lb::BackendSpec& spec : config.file_backends) {
    for (const lb::BackendSpec& listed : config.backends) {
      if (listed.address.to_string() == spec.address.to_string()) {
        throw BadFlag("--backends-file: " + spec.name + ": also in --backends");
      }
    }
  }
  config.backends.insert(config.backends.end(), config.file_backends.begin(),
                         config.file_backends.end());
  if (config.backends.empty()) {
    throw BadFlag("--backends-file: " + flags.backends_file + ": lists no backend");
  }
}

void convert_admin(const Flags& flags, lb::AdminOptions& admin) {
  if (flags.admin.empty()) {
    if (!flags.admin_token_file.empty()) {
      throw BadFlag("--admin-token-file: needs --admin");
    }
    return;
  }
  admin.listen = checked("--admin", common::parse_address(flags.admin));
  if (!flags.admin_token_file.empty()) {
    admin.token = checked("--admin-token-file", lb::read_token_file(flags.admin_token_file));
  }
}

void convert(const Flags& flags, lb::Config& config, lb::AdminOptions& admin) {
  // One listener per balancer: "a,b" would otherwise read as a malformed IPv6 address.
  if (flags.listen.find(',') != std::string::npos) {
    throw BadFlag("--listen: " + flags.listen + ": one address is expected, as in 0.0.0.0:8080");
  }
  config.listen = checked("--listen", common::parse_address(flags.listen));
  convert_backends(flags, config);
  convert_admin(flags, admin);
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
std::optional<int> parse_flags(int argc, char** argv, lb::Config& config, lb::AdminOptions& admin) {
  CLI::App app{"HTTP and TCP load balancer with active health checks", "load_balancer"};
  Flags flags;
  add_flags(app, flags, config);
  add_http_flags(app, flags, config);
  return common::parse_command_line(app, kName, argc, argv, [&] { convert(flags, config, admin); });
}

// SIGHUP: re-reads the backends file. A file that does not parse changes nothing.
void reload(lb::Balancer& balancer) {
  const std::string& file = balancer.config().backends_file;
  if (file.empty()) {
    common::log("received SIGHUP: no --backends-file to reload");
    return;
  }
  common::log("received SIGHUP: reloading ", file);
  common::log_if_failed(common::notify_reloading("reloading " + file));
  const common::Status reloaded = balancer.reload_backends_file();
  common::log_if_failed(common::notify_ready(
      reloaded ? "backends reloaded" : "reload failed: " + reloaded.error().message));
}

// The admin endpoint when --admin asked for one (else null), printing "admin listening on ...".
// The --access-log file (HTTP mode only); null without one.
common::Result<std::unique_ptr<lb::AccessLog>> open_access_log(const lb::Config& config) {
  if (config.mode != lb::Mode::http || config.access_log.empty()) {
    return std::unique_ptr<lb::AccessLog>();
  }
  auto log = lb::AccessLog::open(config.access_log);
  if (!log) return common::Error{log.error().code, "--access-log: " + log.error().message};
  return log;
}

common::Result<std::unique_ptr<lb::AdminServer>> open_admin(const lb::AdminOptions& options,
                                                            lb::Balancer& balancer) {
  if (!options.listen) return std::unique_ptr<lb::AdminServer>();
  auto admin = lb::AdminServer::open(options, balancer);
  if (!admin) return common::Error{admin.error().code, "admin: " + admin.error().message};
  std::cout << "admin listening on " << (*admin)->local_address().to_string() << std::endl;
  return admin;
}

}  // namespace

int main(int argc, char** argv) {
  common::block_shutdown_signals();  // first: every thread started later inherits the mask
  lb::Config config;
  lb::AdminOptions admin_options;
  if (const auto status = parse_flags(argc, argv, config, admin_options)) return *status;
  common::raise_fd_limit();

  auto access_log = open_access_log(config);
  if (!access_log) {
    return common::startup_failure(kName, access_log.error().message, common::kExitUsage);
  }
  auto balancer = lb::Balancer::open(config, std::move(*access_log));
  if (!balancer) return common::startup_failure(kName, balancer.error().message);
  const auto admin = open_admin(admin_options, **balancer);
  if (!admin) return common::startup_failure(kName, admin.error().message);
  if (auto started = (*balancer)->start(); !started) {
    return common::startup_failure(kName, started.error().message);
  }
  const std::string address = (*balancer)->local_address().to_string();
  std::cout << "listening on " << address << std::endl;
  common::log_if_failed(common::notify_ready("listening on " + address));
  const common::WatchdogPinger watchdog;  // pings while main lives, through the drain

  common::wait_for_shutdown([&] { reload(**balancer); });
  (*balancer)->stop_accepting();  // takes the backlog and closes the listener
  common::drain(config.drain_timeout, [&] { return (*balancer)->open_connections(); });
  (*balancer)->close_connections();
  return 0;
}

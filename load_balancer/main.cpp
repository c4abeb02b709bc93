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

const std::map<std::string, lb::Mode> kModes{{"tcp", lb::Mode::tcp}};
const std::map<std::string, lb::CheckKind> kCheckKinds{{"tcp", lb::CheckKind::tcp},
                                                       {"http", lb::CheckKind::http}};

struct Flags {
  std::string listen = "0.0.0.0:8080";
  std::string backends;
  std::string mode = "tcp";
  std::string health_check = "tcp";
  std::string health_interval = "500ms";
  std::string health_timeout = "1s";
  std::string connect_timeout = "1s";
  std::string drain_timeout = "10s";
};

void add_flags(CLI::App& app, Flags& flags, lb::Config& config) {
  app.add_option("--listen", flags.listen, "Address to accept clients on")->capture_default_str();
  app.add_option("--backends", flags.backends, "host:port[@weight],... (weight 1-256)")->required();
  app.add_option("--mode", flags.mode, "tcp: relay bytes")
      ->check(CLI::IsMember(kModes))
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

void convert(const Flags& flags, lb::Config& config) {
  config.listen = checked("--listen", common::parse_address(flags.listen));
  config.backends = checked("--backends", lb::parse_backend_list(flags.backends));
  config.mode = kModes.at(flags.mode);  // IsMember has checked the names
  config.health.kind = kCheckKinds.at(flags.health_check);
  config.health.interval = positive_duration("--health-interval", flags.health_interval);
  config.health.timeout = positive_duration("--health-timeout", flags.health_timeout);
  config.connect_timeout = positive_duration("--connect-timeout", flags.connect_timeout);
  config.drain_timeout = checked("--drain-timeout", common::parse_duration(flags.drain_timeout));
}

// Fills config from the command line. Returns the exit status when main should stop: 0 after
// --help, 2 after a bad flag (one line on stderr naming it).
std::optional<int> parse_flags(int argc, char** argv, lb::Config& config) {
  CLI::App app{"TCP load balancer with active health checks", "load_balancer"};
  Flags flags;
  add_flags(app, flags, config);
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

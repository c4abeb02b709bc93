// web_server: a small HTTP/1.1 server, one thread per connection. See web_server/router.hpp for
// its routes. Prints "listening on HOST:PORT" once ready; SIGTERM/SIGINT end it gracefully.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include "common/log.hpp"
#include "common/signals.hpp"
#include "common/units.hpp"
#include "web_server/server.hpp"

namespace {

constexpr int kBadFlag = 2;

struct Flags {
  std::string listen = "127.0.0.1:8080";
  std::string name;
  std::string static_dir;
  std::string idle_timeout = "60s";
  std::string request_timeout = "10s";
  std::string drain_timeout = "10s";
  std::string max_body = "1m";
  std::string max_message = "1m";
  size_t max_connections = 10000;
};

// A value that failed to parse: "web_server: --idle-timeout: 2x: unknown unit 'x' ...".
struct BadFlag {
  std::string message;
};

template <class T>
T checked(common::Result<T> result, std::string_view flag) {
  if (!result) throw BadFlag{std::string(flag) + ": " + result.error().message};
  return std::move(*result);
}

web::Config to_config(const Flags& flags, common::Millis& drain_timeout) {
  web::Config config;
  config.listen = checked(common::parse_address(flags.listen), "--listen");
  config.name = flags.name;
  if (!flags.static_dir.empty()) {
    config.files = checked(web::StaticFiles::open(flags.static_dir), "--static-dir");
  }
  config.max_connections = flags.max_connections;
  config.limits.idle_timeout = checked(common::parse_duration(flags.idle_timeout), "--idle-timeout");
  config.limits.request_timeout =
      checked(common::parse_duration(flags.request_timeout), "--request-timeout");
  config.limits.max_body = checked(common::parse_size(flags.max_body), "--max-body");
  config.limits.max_ws_message = checked(common::parse_size(flags.max_message), "--max-message");
  drain_timeout = checked(common::parse_duration(flags.drain_timeout), "--drain-timeout");
  if (config.limits.request_timeout.count() == 0) throw BadFlag{"--request-timeout: must be > 0"};
  if (config.max_connections == 0) throw BadFlag{"--max-connections: must be > 0"};
  return config;
}

void add_flags(CLI::App& app, Flags& flags) {
  app.add_option("--listen", flags.listen, "address to listen on, HOST:PORT (port 0: any)")
      ->capture_default_str();
  app.add_option("--name", flags.name, "name sent in X-Backend (default: the listen address)");
  app.add_option("--static-dir", flags.static_dir, "folder of files to serve (the web app)");
  app.add_option("--idle-timeout", flags.idle_timeout, "close connections idle this long")
      ->capture_default_str();
  app.add_option("--request-timeout", flags.request_timeout, "time to send a request head (408)")
      ->capture_default_str();
  app.add_option("--max-body", flags.max_body, "largest request body (413)")->capture_default_str();
  app.add_option("--max-message", flags.max_message, "largest WebSocket message (close 1009)")
      ->capture_default_str();
  app.add_option("--max-connections", flags.max_connections, "connections served at once")
      ->capture_default_str();
  app.add_option("--drain-timeout", flags.drain_timeout, "on SIGTERM, time to finish requests")
      ->capture_default_str();
}

// Runs until SIGINT or SIGTERM, then drains; SIGHUP (no configuration to reload) is ignored.
int run(web::Server& server, common::Millis drain_timeout) {
  std::thread serving([&server] { server.serve(); });
  int sig = 0;
  while ((sig = common::wait_for_signal()) == SIGHUP) {
    common::log("SIGHUP ignored: web_server has nothing to reload");
  }
  common::log("signal ", sig, ": stopping, draining connections");
  server.stop();
  serving.join();
  if (!server.drain(drain_timeout)) common::log("drain timed out; connections cut");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  common::block_shutdown_signals();  // before any thread, so that all inherit the mask
  CLI::App app{"web_server: a small HTTP/1.1 server, one thread per connection"};
  Flags flags;
  add_flags(app, flags);
  web::Config config;
  common::Millis drain_timeout{};
  try {
    app.parse(argc, argv);
    config = to_config(flags, drain_timeout);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "web_server: %s\n", e.what());
    return kBadFlag;
  } catch (const BadFlag& e) {
    std::fprintf(stderr, "web_server: %s\n", e.message.c_str());
    return kBadFlag;
  }
  auto server = web::Server::open(std::move(config));
  if (!server) {
    std::fprintf(stderr, "web_server: %s\n", server.error().message.c_str());
    return 1;
  }
  std::cout << "listening on " << (*server)->local_address().to_string() << std::endl;
  common::log("web_server ", (*server)->name(), " serving on ",
              (*server)->local_address().to_string());
  return run(**server, drain_timeout);
}

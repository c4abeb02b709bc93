// client: an HTTP/1.1 (or WebSocket, --ws) load generator. Parses the command line into Options,
// runs, reports.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "client/options.hpp"
#include "client/report.hpp"
#include "client/request_keys.hpp"
#include "client/run.hpp"
#include "common/command_line.hpp"
#include "common/socket.hpp"
#include "common/startup.hpp"
#include "common/units.hpp"

namespace {

constexpr std::string_view kName = "client";

using common::BadFlag;
using common::checked;

constexpr size_t kMaxConcurrency = 10000;
constexpr uint64_t kMaxMessageSize = 16 * 1024 * 1024;

// Flag values as typed, before they are checked and converted.
struct Flags {
  std::string url = "http://127.0.0.1:8080/";
  uint64_t requests = 0;
  std::string duration;
  std::string warmup = "0";
  std::string timeout = "10s";
  double rate = 0;
  size_t concurrency = 1;
  uint64_t key_space = 0;
  std::string method = "GET";
  std::vector<std::string> headers;
  std::string body;
  std::string body_file;
  std::string message_size = "64";
  std::string ok_status;
};

void define(CLI::App& app, Flags& f, client::Options& o) {
  app.add_option("url", f.url,
                 "http://host:port/path to load (or ws://... with --ws); each {n} in the path "
                 "becomes a number per request, counted 0, 1, 2, ... over all connections, "
                 "e.g. /kv/bench-{n}")
      ->capture_default_str();
  app.add_option("-n,--requests", f.requests, "counted requests to send (then stop)");
  app.add_option("-d,--duration", f.duration, "how long to send counted requests, e.g. 30s");
  app.add_option("-c,--concurrency", f.concurrency, "connections, one thread each")
      ->capture_default_str();
  app.add_option("-r,--rate", f.rate,
                 "open loop: requests/s over all connections (0 = closed loop)");
  app.add_option("--key-space", f.key_space,
                 "with {n} in the URL: count modulo this many keys (e.g. 1000: bench-0 to "
                 "bench-999, then bench-0 again)");
  app.add_option("--warmup", f.warmup, "send for this long first, without counting")
      ->capture_default_str();
  app.add_option("--timeout", f.timeout, "per request (and per connect)")->capture_default_str();
  app.add_option("--ok-status", f.ok_status,
                 "statuses that count as a success, e.g. 200,201,404 (default: 2xx and 3xx)");
  auto* method = app.add_option("-m,--method", f.method, "request method")->capture_default_str();
  app.add_option("-H,--header", f.headers, "extra header \"Name: value\" (repeatable)");
  auto* body = app.add_option("--body", f.body, "request body");
  auto* body_file =
      app.add_option("--body-file", f.body_file, "request body from a file")->excludes(body);
  auto* no_keepalive = app.add_flag(
      "--no-keepalive", [&o](int64_t) { o.request.keep_alive = false; },
      "a new connection for every request");
  auto* ws = app.add_flag("--ws", o.websocket,
                          "WebSocket mode: each connection upgrades (url: the echo endpoint, "
                          "e.g. ws://host:port/ws), then a request is one message and its echo");
  ws->excludes(method)->excludes(body)->excludes(body_file)->excludes(no_keepalive);
  app.add_option("--message-size", f.message_size, "--ws: payload bytes per message, e.g. 64, 4k")
      ->capture_default_str()
      ->needs(ws);
  app.add_flag("--json", o.json, "print one JSON object instead of the report");
  app.add_flag("--histogram", o.histogram,
               "add the latency distribution (value, percentile, count)");
  app.add_flag("--uncorrected", o.uncorrected,
               "add the raw service time next to the corrected latency");
}

// The checks that need more than one flag or a parser of our own; errors name the flag.
// "ws://" stands for "http://" in WebSocket mode (the upgrade starts as an HTTP request).
std::string http_url(std::string_view text, bool websocket) {
  const bool ws_scheme =
      text.size() >= 5 && (text.substr(0, 5) == "ws://" || text.substr(0, 5) == "WS://");
  if (ws_scheme && !websocket) {
    throw BadFlag("url " + std::string(text) + ": a ws:// URL needs --ws (WebSocket mode)");
  }
  return websocket && ws_scheme ? "http://" + std::string(text.substr(5)) : std::string(text);
}

void check_key_flags(const CLI::App& app, const Flags& f, client::Options& o) {
  const bool keyed = client::has_key_placeholder(o.request.url.target);
  if (keyed && o.websocket) throw BadFlag("url: {n} is for HTTP requests, not --ws");
  if (app.count("--key-space") == 0) return;
  if (!keyed) throw BadFlag("--key-space: the url has no {n} to count");
  if (f.key_space == 0) throw BadFlag("--key-space: must be at least 1");
  o.key_space = f.key_space;
}

void check_run_flags(const CLI::App& app, const Flags& f, client::Options& o) {
  auto url = client::parse_url(http_url(f.url, o.websocket));
  if (!url) throw BadFlag("url " + url.error().message);
  o.request.url = std::move(*url);
  check_key_flags(app, f, o);
  if (app.count("--requests") == 0 && app.count("--duration") == 0) {
    throw BadFlag("--requests or --duration: one of them is required");
  }
  if (app.count("--requests") != 0) {
    if (f.requests == 0) throw BadFlag("--requests: must be at least 1");
    o.plan.requests = f.requests;
  }
  if (app.count("--duration") != 0) {
    const auto duration = checked("--duration", common::parse_duration(f.duration));
    if (duration.count() == 0) throw BadFlag("--duration: must be more than 0");
    o.plan.duration = duration;
  }
  o.plan.warmup = checked("--warmup", common::parse_duration(f.warmup));
  o.timeout = checked("--timeout", common::parse_duration(f.timeout));
  if (o.timeout.count() == 0) throw BadFlag("--timeout: must be more than 0");
  if (app.count("--ok-status") != 0) {
    o.ok_status = checked("--ok-status", client::OkStatus::parse(f.ok_status));
  }
}

void check_request_flags(const CLI::App& app, const Flags& f, client::Options& o) {
  if (f.concurrency == 0 || f.concurrency > kMaxConcurrency) {
    throw BadFlag("--concurrency: must be 1 to " + std::to_string(kMaxConcurrency));
  }
  o.concurrency = f.concurrency;
  if (app.count("--rate") != 0 && !(f.rate > 0 && f.rate <= 1e7)) {
    throw BadFlag("--rate: must be more than 0 (and at most 1e7)");
  }
  o.plan.rate = f.rate;
  if (auto s = client::check_method(f.method); !s) throw BadFlag("--method " + s.error().message);
  o.request.method = f.method;
  for (const std::string& line : f.headers) {
    auto header = client::parse_header_line(line);
    if (!header) throw BadFlag("--header " + header.error().message);
    o.request.headers.push_back(std::move(*header));
  }
  if (o.websocket) {
    const uint64_t size = checked("--message-size", common::parse_size(f.message_size));
    if (size > kMaxMessageSize) throw BadFlag("--message-size: at most 16m");
    o.message_size = static_cast<size_t>(size);
  }
  o.request.body = f.body;
  if (!f.body_file.empty()) {
    std::ifstream in(f.body_file, std::ios::binary);
    if (!in) throw BadFlag("--body-file " + f.body_file + ": cannot open");
    std::ostringstream content;
    content << in.rdbuf();
    o.request.body = content.str();
  }
}

// Fills options from the command line. Returns the exit status when main should stop: 0 after
// --help, 2 after a bad flag (one line on stderr naming it).
std::optional<int> parse_flags(int argc, char** argv, client::Options& options) {
  CLI::App app{
      "HTTP/1.1 and WebSocket load generator: latency percentiles, status and X-Backend "
      "counts"};
  Flags flags;
  define(app, flags, options);
  return common::parse_command_line(app, kName, argc, argv, [&] {
    check_run_flags(app, flags, options);
    check_request_flags(app, flags, options);
  });
}

client::ProgressCallback progress_on_tty(std::string_view unit) {
  if (isatty(STDERR_FILENO) == 0) return {};
  return [previous = client::Progress{}, unit](const client::Progress& now) mutable {
    // \r and "erase to end of line": the line rewrites itself in place.
    std::cerr << '\r' << client::progress_line(now, previous, unit) << "\033[K" << std::flush;
    previous = now;
  };
}

}  // namespace

int main(int argc, char** argv) {
  client::Options options;
  if (const auto status = parse_flags(argc, argv, options)) return *status;
  auto address = common::resolve(options.request.url.host_port());
  if (!address) {
    return common::startup_failure(
        kName, "url " + options.request.url.to_string() + ": " + address.error().message,
        common::kExitUsage);
  }
  common::raise_fd_limit();
  const client::ProgressCallback progress =
      progress_on_tty(options.websocket ? "messages" : "requests");
  auto result = client::run(options, *address, progress);
  if (progress) std::cerr << "\r\033[K" << std::flush;
  if (!result) return common::startup_failure(kName, result.error().message);
  if (options.json) {
    std::cout << client::to_json(*result, options).dump(2) << std::endl;
  } else {
    client::write_human(std::cout, *result, options);
  }
  return result->stats.passed() ? 0 : 1;
}

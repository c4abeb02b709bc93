// client: an HTTP/1.1 (or WebSocket, --ws) load generator. Parses the command line into Options,
// runs, reports.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "client/options.hpp"
#include "client/report.hpp"
#include "client/request_keys.hpp"
#include "client/run.hpp"
#include "common/socket.hpp"
#include "common/units.hpp"

namespace {

constexpr int kBadUsage = 2;
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
  return websocket && ws_scheme ? "http://" + std::string(text.substr(5)) : std::string(text);
}

std::string check_key_flags(const CLI::App& app, const Flags& f, client::Options& o) {
  const bool keyed = client::has_key_placeholder(o.request.url.target);
  if (keyed && o.websocket) return "url: {n} is for HTTP requests, not --ws";
  if (app.count("--key-space") == 0) return {};
  if (!keyed) return "--key-space: the url has no {n} to count";
  if (f.key_space == 0) return "--key-space: must be at least 1";
  o.key_space = f.key_space;
  return {};
}

std::string check_run_flags(const CLI::App& app, const Flags& f, client::Options& o) {
  auto url = client::parse_url(http_url(f.url, o.websocket));
  if (!url) return "url " + url.error().message;
  o.request.url = std::move(*url);
  if (auto e = check_key_flags(app, f, o); !e.empty()) return e;
  if (app.count("--requests") == 0 && app.count("--duration") == 0) {
    return "--requests or --duration: one of them is required";
  }
  if (app.count("--requests") != 0) {
    if (f.requests == 0) return "--requests: must be at least 1";
    o.plan.requests = f.requests;
  }
  const auto duration_flag = [](const char* flag, const std::string& text,
                                auto& out) -> std::string {
    auto d = common::parse_duration(text);
    if (!d) return std::string(flag) + ": " + d.error().message;
    out = *d;
    return {};
  };
  std::chrono::milliseconds duration{0};
  if (app.count("--duration") != 0) {
    if (auto e = duration_flag("--duration", f.duration, duration); !e.empty()) return e;
    if (duration.count() == 0) return "--duration: must be more than 0";
    o.plan.duration = duration;
  }
  if (auto e = duration_flag("--warmup", f.warmup, o.plan.warmup); !e.empty()) return e;
  if (auto e = duration_flag("--timeout", f.timeout, o.timeout); !e.empty()) return e;
  if (o.timeout.count() == 0) return "--timeout: must be more than 0";
  return {};
}

std::string check_request_flags(const CLI::App& app, const Flags& f, client::Options& o) {
  if (f.concurrency == 0 || f.concurrency > kMaxConcurrency) {
    return "--concurrency: must be 1 to " + std::to_string(kMaxConcurrency);
  }
  o.concurrency = f.concurrency;
  if (app.count("--rate") != 0 && !(f.rate > 0 && f.rate <= 1e7)) {
    return "--rate: must be more than 0 (and at most 1e7)";
  }
  o.plan.rate = f.rate;
  if (auto s = client::check_method(f.method); !s) return "--method " + s.error().message;
  o.request.method = f.method;
  for (const std::string& line : f.headers) {
    auto header = client::parse_header_line(line);
    if (!header) return "--header " + header.error().message;
    o.request.headers.push_back(std::move(*header));
  }
  if (o.websocket) {
    auto size = common::parse_size(f.message_size);
    if (!size) return "--message-size: " + size.error().message;
    if (*size > kMaxMessageSize) return "--message-size: at most 16m";
    o.message_size = static_cast<size_t>(*size);
  }
  o.request.body = f.body;
  if (!f.body_file.empty()) {
    std::ifstream in(f.body_file, std::ios::binary);
    if (!in) return "--body-file " + f.body_file + ": cannot open";
    std::ostringstream content;
    content << in.rdbuf();
    o.request.body = content.str();
  }
  return {};
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
  CLI::App app{
      "HTTP/1.1 and WebSocket load generator: latency percentiles, status and X-Backend "
      "counts"};
  Flags flags;
  client::Options options;
  define(app, flags, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "client: " << e.what() << "\n";
    return kBadUsage;
  }
  std::string error = check_run_flags(app, flags, options);
  if (error.empty()) error = check_request_flags(app, flags, options);
  if (!error.empty()) {
    std::cerr << "client: " << error << "\n";
    return kBadUsage;
  }
  auto address = common::resolve(options.request.url.host_port());
  if (!address) {
    std::cerr << "client: url " << options.request.url.to_string() << ": "
              << address.error().message << "\n";
    return kBadUsage;
  }
  common::raise_fd_limit();
  const client::ProgressCallback progress =
      progress_on_tty(options.websocket ? "messages" : "requests");
  auto result = client::run(options, *address, progress);
  if (progress) std::cerr << "\r\033[K" << std::flush;
  if (!result) {
    std::cerr << "client: " << result.error().message << "\n";
    return 1;
  }
  if (options.json) {
    std::cout << client::to_json(*result, options).dump(2) << std::endl;
  } else {
    client::write_human(std::cout, *result, options);
  }
  return result->stats.failed() == 0 ? 0 : 1;
}

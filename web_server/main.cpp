// web_server: a small HTTP/1.1 server, one thread per connection, with an embedded key-value
// store (--data-dir). See web_server/router.hpp for its routes. Prints "listening on HOST:PORT"
// once ready; SIGTERM/SIGINT end it gracefully; SIGHUP re-reads --peers-file.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>

#include "common/command_line.hpp"
#include "common/log.hpp"
#include "common/service_notify.hpp"
#include "common/signals.hpp"
#include "common/startup.hpp"
#include "common/units.hpp"
#include "web_server/replication/peers_file.hpp"
#include "web_server/replication/replicator.hpp"
#include "web_server/server.hpp"
#include "web_server/store/compactor.hpp"
#include "web_server/store/data_folder_lock.hpp"
#include "web_server/store/store.hpp"

namespace {

constexpr std::string_view kName = "web_server";

using common::BadFlag;
using common::checked;

struct Flags {
  std::string listen = "127.0.0.1:8080";
  std::string name;
  std::string static_dir;
  std::string data_dir;  // empty: see data_folder
  std::string idle_timeout = "60s";
  std::string request_timeout = "10s";
  std::string drain_timeout = "10s";
  std::string max_body = "1m";
  std::string max_message = "1m";
  size_t max_connections = 10000;
};

web::Config to_config(const Flags& flags, common::Millis& drain_timeout) {
  web::Config config;
  config.listen = checked("--listen", common::parse_address(flags.listen));
  config.name = flags.name;
  if (!flags.static_dir.empty()) {
    config.files = checked("--static-dir", web::StaticFiles::open(flags.static_dir));
  }
  config.max_connections = flags.max_connections;
  config.limits.idle_timeout =
      checked("--idle-timeout", common::parse_duration(flags.idle_timeout));
  config.limits.request_timeout =
      checked("--request-timeout", common::parse_duration(flags.request_timeout));
  config.limits.max_body = checked("--max-body", common::parse_size(flags.max_body));
  config.limits.max_ws_message = checked("--max-message", common::parse_size(flags.max_message));
  drain_timeout = checked("--drain-timeout", common::parse_duration(flags.drain_timeout));
  // A folder that cannot be made is a bad flag; one in use by another server is found later.
  if (!flags.data_dir.empty()) {
    (void)checked("--data-dir", web::store::make_data_folder(flags.data_dir));
  }
  if (config.limits.request_timeout.count() == 0) throw BadFlag("--request-timeout: must be > 0");
  if (config.max_connections == 0) throw BadFlag("--max-connections: must be > 0");
  return config;
}

void add_flags(CLI::App& app, Flags& flags) {
  app.add_option("--listen", flags.listen, "address to listen on, HOST:PORT (port 0: any)")
      ->capture_default_str();
  app.add_option("--name", flags.name, "name sent in X-Backend (default: the listen address)");
  app.add_option("--static-dir", flags.static_dir, "folder of files to serve (the web app)");
  app.add_option("--data-dir", flags.data_dir,
                 "folder of the key-value store (store.db, and LOCK: one server at a time); "
                 "default ./data/<name>, where <name> is --name or the listen address with ':' "
                 "as '_' (port 0: the port bound, so that each such server has its own)");
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

// The store's folder: --data-dir, else ./data/<name>, where <name> is --name, else the --listen
// text with ':' as '_'. A --listen with port 0 (and no --name) names the port it was bound to in
// place of the 0, as X-Backend does: "0" would map every such server started in one working
// folder onto one store and one origin id. The store of such a server is not found again after a
// restart, and neither is its address; --data-dir or --name keep a store across restarts.
std::string data_folder(const Flags& flags, uint16_t bound_port) {
  if (!flags.data_dir.empty()) return flags.data_dir;
  std::string name = flags.name;
  if (name.empty()) {
    name = flags.listen;
    auto written = common::parse_host_port(flags.listen);  // valid: to_config has parsed it
    if (written && written->port == 0) {
      written->port = bound_port;
      name = written->to_string();
    }
  }
  std::replace(name.begin(), name.end(), ':', '_');
  return "./data/" + name;
}

// The lock on the data folder, taken before store.db is opened and released after it is closed
// (members are destroyed in reverse order), so that no second server ever has the file open.
struct Storage {
  web::store::DataFolderLock lock;
  std::unique_ptr<web::store::Store> store;
};

common::Result<Storage> open_storage(const std::string& folder, common::Millis max_clock_skew) {
  auto lock = web::store::DataFolderLock::acquire(folder);
  if (!lock) return lock.error();
  auto store = web::store::Store::open({folder + "/store.db", max_clock_skew});
  if (!store) return store.error();
  return Storage{std::move(*lock), std::move(*store)};
}

// ---- Replication: its flags, and the Replicator wired between the store and the server ----

struct ReplicationFlags {
  std::string peers;
  std::string peers_file;
  std::string listen;
  std::string secret_file;
  size_t sync_replicas = 0;
  std::string sync_timeout = "5s";
  std::string max_clock_skew = "500ms";
  std::string compact_interval = "10s";
};

void add_replication_flags(CLI::App& app, ReplicationFlags& flags) {
  app.add_option("--peers", flags.peers, "peers' replication addresses, HOST:PORT,...");
  app.add_option("--peers-file", flags.peers_file,
                 "instead of --peers: one HOST:PORT a line, # comments; re-read on SIGHUP");
  app.add_option("--replication-listen", flags.listen,
                 "where peers' replication links arrive, HOST:PORT (needed with --peers)");
  app.add_option("--cluster-secret-file", flags.secret_file,
                 "file holding the secret peers share (needed with --peers)");
  app.add_option("--sync-replicas", flags.sync_replicas,
                 "acknowledge a write only once this many peers stored it (503 while fewer are "
                 "connected)")
      ->capture_default_str();
  app.add_option("--sync-timeout", flags.sync_timeout, "longest wait for --sync-replicas (504)")
      ->capture_default_str();
  app.add_option("--max-clock-skew", flags.max_clock_skew,
                 "how far ahead of our clock a peer's timestamp may move it")
      ->capture_default_str();
  app.add_option("--compact-interval", flags.compact_interval,
                 "how often superseded changes and stable tombstones leave the store")
      ->capture_default_str();
}

// The file's bytes without a trailing newline; a missing or empty secret is refused.
std::string read_secret(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw BadFlag("--cluster-secret-file: " + path + ": cannot be read");
  std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) throw BadFlag("--cluster-secret-file: " + path + ": the secret is empty");
  return secret;
}

std::vector<std::string> peer_list(const std::string& text) {
  std::vector<std::string> peers;
  for (size_t start = 0; start <= text.size();) {
    const size_t end = std::min(text.find(',', start), text.size());
    const std::string peer = text.substr(start, end - start);
    checked("--peers", common::parse_host_port(peer));
    peers.push_back(peer);
    start = end + 1;
  }
  return peers;
}

common::Millis compact_interval(const ReplicationFlags& flags) {
  const common::Millis interval =
      checked("--compact-interval", common::parse_duration(flags.compact_interval));
  if (interval.count() == 0) throw BadFlag("--compact-interval: must be > 0");
  return interval;
}

// The members from --peers or --peers-file (which may list none yet).
std::vector<std::string> first_peers(const ReplicationFlags& flags) {
  if (flags.peers_file.empty()) return peer_list(flags.peers);
  if (!flags.peers.empty()) throw BadFlag("--peers-file: cannot be combined with --peers");
  return checked("--peers-file", web::replication::read_peers_file(flags.peers_file));
}

// nullopt without --peers or --peers-file (and then no other replication flag but
// --max-clock-skew and --compact-interval may be set).
std::optional<web::replication::ReplicatorOptions> replication_options(
    const ReplicationFlags& flags) {
  if (flags.peers.empty() && flags.peers_file.empty()) {
    if (!flags.listen.empty()) throw BadFlag("--replication-listen: needs --peers");
    if (flags.sync_replicas > 0) throw BadFlag("--sync-replicas: needs --peers");
    return std::nullopt;
  }
  if (flags.listen.empty()) throw BadFlag("--replication-listen: required with --peers");
  if (flags.secret_file.empty()) throw BadFlag("--cluster-secret-file: required with --peers");
  web::replication::ReplicatorOptions options;
  options.peers = first_peers(flags);
  options.listen = checked("--replication-listen", common::parse_address(flags.listen));
  options.secret = read_secret(flags.secret_file);
  options.sync_replicas = flags.sync_replicas;
  if (options.sync_replicas > options.peers.size()) {
    throw BadFlag("--sync-replicas: " + std::to_string(options.sync_replicas) +
                  " is more than the " + std::to_string(options.peers.size()) + " peers");
  }
  options.sync_timeout = checked("--sync-timeout", common::parse_duration(flags.sync_timeout));
  if (options.sync_timeout.count() == 0) throw BadFlag("--sync-timeout: must be > 0");
  options.compact_interval = compact_interval(flags);
  return options;
}

// Opens the replicator (registering it with the store before any write), starts its links and
// prints "replication listening on HOST:PORT". Null without --peers.
common::Result<std::unique_ptr<web::replication::Replicator>> start_replication(
    web::store::Store& store, std::optional<web::replication::ReplicatorOptions> options) {
  if (!options) return std::unique_ptr<web::replication::Replicator>();
  auto replicator = web::replication::Replicator::open(store, std::move(*options));
  if (!replicator) return replicator.error();
  if (auto started = (*replicator)->start(); !started) return started.error();
  const std::string address = (*replicator)->local_address().to_string();
  std::cout << "replication listening on " << address << std::endl;
  common::log("replication: listening on ", address);
  return replicator;
}

// What the command line decides.
struct Settings {
  Flags flags;
  ReplicationFlags replication_flags;
  web::Config config;
  common::Millis drain_timeout{};
  common::Millis max_clock_skew{};
  common::Millis lone_compact_interval{};
  std::optional<web::replication::ReplicatorOptions> replication;
};

// Fills `settings` from the command line. Returns the exit status when main should stop: 0 after
// --help, 2 after a bad flag (one line on stderr naming it).
std::optional<int> parse_flags(int argc, char** argv, Settings& settings) {
  CLI::App app{"web_server: a small HTTP/1.1 server, one thread per connection"};
  add_flags(app, settings.flags);
  add_replication_flags(app, settings.replication_flags);
  return common::parse_command_line(app, kName, argc, argv, [&] {
    settings.config = to_config(settings.flags, settings.drain_timeout);
    const ReplicationFlags& replication = settings.replication_flags;
    settings.max_clock_skew =
        checked("--max-clock-skew", common::parse_duration(replication.max_clock_skew));
    settings.replication = replication_options(replication);
    settings.lone_compact_interval = compact_interval(replication);
  });
}

// Everything that serves, declared in the order it is built: destroyed in reverse, the server
// goes first and the lock on the data folder last.
struct Running {
  std::optional<Storage> storage;
  std::unique_ptr<web::replication::Replicator> replicator;  // null without --peers
  std::optional<web::store::Compactor> lone_compactor;       // without --peers
  std::unique_ptr<web::Server> server;
};

// Binds, opens the store, wires replication (or the store's own compaction) and the server, and
// starts accepting. Fails with the message for "web_server: ..." on stderr.
common::Status start(Settings& settings, Running& running) {
  // Bound before the store is opened: the default folder of a port-0 --listen names the port.
  auto listener = web::Server::bind(settings.config.listen);
  auto bound = listener ? common::local_address(*listener) : listener.error();
  if (!bound) return bound.error();
  auto storage = open_storage(data_folder(settings.flags, bound->port()), settings.max_clock_skew);
  if (!storage) return storage.error();
  running.storage.emplace(std::move(*storage));
  web::store::Store& store = *running.storage->store;
  // Replication is wired here, between opening the store and Server::open. Its Quorum is set
  // whenever it runs, so that GET /replication shows the peers also with --sync-replicas 0.
  auto replicator = start_replication(store, std::move(settings.replication));
  if (!replicator) {
    return common::Error{replicator.error().code,
                         "--replication-listen: " + replicator.error().message};
  }
  running.replicator = std::move(*replicator);
  // Without peers the store compacts itself; with them, the replicator proves what may go.
  if (!running.replicator) {
    running.lone_compactor.emplace(store, settings.lone_compact_interval,
                                   [&store] { return web::store::Compactor::alone(store); });
  }
  web::Config& config = settings.config;
  config.listener = std::move(*listener);
  config.store = &store;
  config.quorum = running.replicator.get();
  auto server = web::Server::open(std::move(config));
  if (!server) return server.error();
  running.server = std::move(*server);
  return running.server->start();
}

// SIGHUP: the peers file again. A file that cannot be read or parsed changes nothing.
void reload_peers(const std::string& path, web::replication::Replicator* replicator) {
  if (path.empty() || replicator == nullptr) {
    common::log("SIGHUP ignored: web_server has no --peers-file to reload");
    return;
  }
  auto peers = web::replication::read_peers_file(path);
  auto changed = peers ? replicator->set_peers(*peers) : peers.error();
  if (!changed) {
    common::log("reload ", path, ": ", changed.error().message, "; nothing changed");
    return;
  }
  common::log("reload ", path, ": ", *changed);
}

// Runs until SIGINT or SIGTERM, then drains; SIGHUP re-reads the peers file.
void serve_until_shutdown(Running& running, const Settings& settings) {
  web::Server& server = *running.server;
  const std::string address = server.local_address().to_string();
  std::cout << "listening on " << address << std::endl;
  common::log("web_server ", server.name(), " serving on ", address);
  common::log_if_failed(common::notify_ready("serving on " + address));
  const common::WatchdogPinger watchdog;  // pings until this returns, through the drain
  common::wait_for_shutdown(
      [&] { reload_peers(settings.replication_flags.peers_file, running.replicator.get()); });
  server.stop();  // ends idle keep-alive connections; the others close after their response
  common::drain(settings.drain_timeout, [&server] { return server.open_connections(); });
  server.close_connections();
  // After the drain: the last writes go out too.
  if (running.replicator) running.replicator->stop();
}

}  // namespace

int main(int argc, char** argv) {
  common::block_shutdown_signals();  // before any thread, so that all inherit the mask
  Settings settings;
  if (const auto status = parse_flags(argc, argv, settings)) return *status;
  Running running;
  if (auto started = start(settings, running); !started) {
    return common::startup_failure(kName, started.error().message);
  }
  serve_until_shutdown(running, settings);
  return 0;
}

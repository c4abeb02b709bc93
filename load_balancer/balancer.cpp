#include "load_balancer/balancer.hpp"

#include <sys/socket.h>

#include "common/log.hpp"
#include "load_balancer/backends_file.hpp"
#include "load_balancer/http_proxy.hpp"
#include "load_balancer/tcp_proxy.hpp"

namespace lb {

namespace {

// How long the kernel holds a connection that sent nothing before accept() sees it anyway; the
// client timeout then runs as for any connection.
constexpr std::chrono::seconds kDeferAccept{1};

}  // namespace

// The per-connection entry point for the configured mode.
common::TcpServer::Handler Balancer::session_handler() {
  switch (config_.mode) {
    case Mode::tcp:
      return [this, options = TcpProxyOptions{config_.connect_timeout}](
                 const common::Fd& client, const common::Address& peer) {
        serve_tcp_session(client, peer, pool_, options);
      };
    case Mode::http:
      return [this](const common::Fd& client, const common::Address& peer) {
        serve_http_session(client, peer, pool_, upstreams_, http_options_);
      };
  }
  return {};  // unreachable: every mode has a case above
}

Balancer::Balancer(const Config& config)
    : config_(config),
      pool_(config.backends, config.thresholds, make_policy(config.balance, config.backends),
            config.slow_start),
      upstreams_(config.upstream_pool),
      http_options_(config.http),
      file_backends_(config.file_backends) {
  http_options_.connect_timeout = config.connect_timeout;
  http_options_.stats = &stats_;
  http_options_.drain = &drain_;
}

Balancer::~Balancer() = default;

common::Result<std::unique_ptr<Balancer>> Balancer::open(const Config& config,
                                                         std::unique_ptr<AccessLog> access_log) {
  std::unique_ptr<Balancer> balancer(new Balancer(config));
  if (config.mode == Mode::http && access_log != nullptr) {
    balancer->access_log_ = std::move(access_log);
    balancer->http_options_.access_log = balancer->access_log_.get();
  }
  common::TcpServer::Options options;
  options.listen = config.listen;
  options.max_connections = config.max_connections;
  options.reuse_port = true;
  // An HTTP client speaks first; a TCP-mode protocol may not (SMTP, MySQL), and would wait.
  if (config.mode == Mode::http) options.defer_accept = kDeferAccept;
  auto server = common::TcpServer::open(options, balancer->session_handler());
  if (!server) return server.error();
  balancer->server_ = std::move(*server);
  balancer->checker_ = std::make_unique<HealthChecker>(balancer->pool_, config.health);
  return balancer;
}

common::Address Balancer::local_address() const { return server_->local_address(); }

common::Status Balancer::start() { return server_->start(); }

ControlResult Balancer::add_locked(BackendSpec spec) {
  const std::string name = spec.name;
  const uint32_t weight = spec.weight;
  auto added = pool_.add(std::move(spec));
  if (!added) return {ControlResult::Code::conflict, added.error().message};
  checker_->add(*added);
  std::string message = "backend " + name + " added (weight " + std::to_string(weight) + ")";
  common::log(message);
  return {ControlResult::Code::ok, std::move(message)};
}

ControlResult Balancer::remove_locked(std::string_view name) {
  std::shared_ptr<Backend> removed = pool_.remove(name);
  if (!removed) return {ControlResult::Code::not_found, std::string(name) + ": no such backend"};
  // Any session still holding it sees it draining: it returns no connection to the idle list.
  removed->set_admin_state(AdminState::draining);
  checker_->remove(*removed);
  upstreams_.clear(*removed);
  std::string message = "backend " + removed->name() + " removed (" +
                        std::to_string(removed->active_sessions()) +
                        " sessions in flight finish on it)";
  common::log(message);
  return {ControlResult::Code::ok, std::move(message)};
}

ControlResult Balancer::add_backend(BackendSpec spec) {
  std::lock_guard lock(control_);
  return add_locked(std::move(spec));
}

ControlResult Balancer::remove_backend(std::string_view name) {
  std::lock_guard lock(control_);
  return remove_locked(name);
}

ControlResult Balancer::set_backend_state(std::string_view name, AdminState state) {
  std::lock_guard lock(control_);
  std::shared_ptr<Backend> backend = pool_.find(name);
  if (!backend) return {ControlResult::Code::not_found, std::string(name) + ": no such backend"};
  const AdminState before = backend->set_admin_state(state);
  if (state != AdminState::active) upstreams_.clear(*backend);
  std::string message = "backend " + backend->name() + " is " + std::string(to_string(state));
  if (before == state) return {ControlResult::Code::ok, message + " already"};
  message += " (was " + std::string(to_string(before)) + ")";
  common::log(message);
  return {ControlResult::Code::ok, std::move(message)};
}

common::Status Balancer::reload_backends_file() {
  const std::string& path = config_.backends_file;
  if (path.empty()) return common::Error{common::Errc::invalid_argument, "no --backends-file"};
  auto specs = read_backends_file(path);
  if (!specs) {
    common::log("reload ", path, ": ", specs.error().message, "; nothing changed");
    return specs.error();
  }
  std::lock_guard lock(control_);
  // Each change is applied (and logged) on its own; one refused (a backend the admin endpoint
  // added or removed meanwhile) is logged and leaves that backend as it is.
  const BackendsDiff diff = diff_backends(file_backends_, *specs);
  size_t added = 0, removed = 0, reweighed = 0;
  for (const BackendSpec& spec : diff.removed) {
    const ControlResult result = remove_locked(spec.address.to_string());
    if (result.ok()) ++removed;
    if (!result.ok()) common::log("reload ", path, ": ", result.message, "; left as it is");
  }
  for (const BackendSpec& spec : diff.added) {
    const ControlResult result = add_locked(spec);
    if (result.ok()) ++added;
    if (!result.ok()) common::log("reload ", path, ": ", result.message, "; left as it is");
  }
  for (const BackendSpec& spec : diff.reweighed) {
    if (!pool_.set_weight(spec.address.to_string(), spec.weight)) continue;
    ++reweighed;
    common::log("backend ", spec.name, " weight is now ", spec.weight);
  }
  file_backends_ = std::move(*specs);
  common::log("reload ", path, ": ", added, " added, ", removed, " removed, ", reweighed,
              " reweighed");
  return common::Ok{};
}

void Balancer::stop_accepting() {
  if (config_.mode == Mode::http) drain_.begin();
  server_->stop();
}

size_t Balancer::open_connections() const { return server_->open_connections(); }

void Balancer::close_connections() {
  server_->shutdown_connections(SHUT_RDWR);
  checker_->stop();
}

}  // namespace lb

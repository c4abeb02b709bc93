// The deployment files: `make install`'s script, scripts/deploy.sh, the systemd units (checked by
// systemd-analyze) and the nginx site (checked by nginx -t with a self-signed certificate).
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "common/address.hpp"
#include "common/socket.hpp"
#include "tests/integration/cluster.hpp"
#include "tests/integration/harness.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using harness::Ran;

const std::string kSource = SUITE_SOURCE_DIR;
const std::string kBuild = SUITE_BUILD_DIR;

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// Where `program` is on PATH, or "" when it is not installed.
std::string which(const std::string& program) {
  const Ran found = harness::run({"/bin/sh", "-c", "command -v " + program});
  return found.status == 0 ? found.out.substr(0, found.out.find('\n')) : "";
}

// ---------------------------------------------------------------------------------------------
// scripts/install.sh (the Makefile's install target)

TEST(InstallTest, LaysOutTheSuiteUnderDestdirAndPrefix) {
  const fs::path dest = harness::temp_dir();
  const Ran ran = harness::run({"/usr/bin/env", "DESTDIR=" + dest.string(), "PREFIX=/usr",
                                kSource + "/scripts/install.sh", kBuild});
  ASSERT_EQ(ran.status, 0) << ran.out << ran.err;
  for (const char* exe : {"load_balancer", "web_server", "client"}) {
    const fs::path installed = dest / "usr/bin" / exe;
    ASSERT_TRUE(fs::exists(installed)) << installed;
    EXPECT_NE(fs::status(installed).permissions() & fs::perms::others_exec, fs::perms::none);
  }
  EXPECT_EQ(read_file(dest / "usr/share/balancer-suite/www/index.html"),
            read_file(kSource + "/web_server/www/index.html"));
  for (const char* example : {"web_server.env.example", "load_balancer.env.example",
                              "backends.example", "balancer-suite.conf", "keepalived.conf.in"}) {
    EXPECT_TRUE(fs::exists(dest / "usr/share/balancer-suite/examples" / example)) << example;
  }
  // The units name the installed paths, not the /usr/local of the source.
  const std::string unit = read_file(dest / "usr/lib/systemd/system/web_server@.service");
  EXPECT_NE(unit.find("ExecStart=/usr/bin/web_server "), std::string::npos) << unit;
  EXPECT_NE(unit.find("--static-dir /usr/share/balancer-suite/www"), std::string::npos) << unit;
  EXPECT_FALSE(std::regex_search(unit, std::regex("(^|\n)[^#\n]*/usr/local"))) << unit;
  EXPECT_TRUE(fs::exists(dest / "usr/lib/systemd/system/load_balancer.service"));
}

TEST(InstallTest, RefusesAFolderWithoutTheExecutables) {
  const std::string empty = harness::temp_dir();
  const Ran ran = harness::run(
      {"/usr/bin/env", "DESTDIR=" + harness::temp_dir(), kSource + "/scripts/install.sh", empty});
  EXPECT_NE(ran.status, 0);
  EXPECT_NE(ran.err.find(empty + "/load_balancer is missing"), std::string::npos) << ran.err;
}

// ---------------------------------------------------------------------------------------------
// scripts/deploy.sh, with ssh, scp and rsync replaced by stand-ins that only record their
// arguments: nothing leaves this machine.

class DeployTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* tool : {"ssh", "scp", "rsync"}) {
      const fs::path stand_in = dir_ / "bin" / tool;
      write_file(stand_in, "#!/bin/sh\necho \"" + std::string(tool) + " $*\" >>" +
                               (dir_ / "calls").string() + "\n");
      fs::permissions(stand_in, fs::perms::owner_all);
    }
  }

  Ran deploy(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"/usr/bin/env",
                                  "PATH=" + (dir_ / "bin").string() + ":/usr/bin:/bin",
                                  kSource + "/scripts/deploy.sh",
                                  "--build",
                                  kBuild,
                                  "--secret",
                                  (dir_ / "cluster.secret").string(),
                                  "--admin-token",
                                  (dir_ / "admin.token").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return harness::run(argv);
  }
  std::string calls() const { return read_file(dir_ / "calls"); }

  const fs::path dir_ = harness::temp_dir();
};

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

TEST_F(DeployTest, DryRunListsEveryStepForEachWebServerAndRunsNothing) {
  const Ran ran = deploy({"--dry-run", "--role", "web", "web1", "admin@web2"});
  ASSERT_EQ(ran.status, 0) << ran.err;
  const std::string& out = ran.out;
  EXPECT_NE(out.find("PREFIX=/usr/local " + kSource + "/scripts/install.sh " + kBuild),
            std::string::npos)
      << out;
  // Each server's peers are the others' replication ports.
  EXPECT_TRUE(std::regex_search(out, std::regex("web1/etc/web_server-s1.env[^+]*PEERS=web2:7000")))
      << out;
  EXPECT_TRUE(
      std::regex_search(out, std::regex("admin@web2/etc/web_server-s2.env[^+]*PEERS=web1:7000")))
      << out;
  for (const auto& [host, name] : {std::pair{"web1", "s1"}, std::pair{"admin@web2", "s2"}}) {
    const std::string h = host;
    EXPECT_TRUE(std::regex_search(
        out, std::regex("\n\\+ (scp -rpq|rsync -az) \\S+/root \\S+/" + h + "/etc " + h + ":")))
        << out;
    EXPECT_TRUE(
        std::regex_search(out, std::regex("\n\\+ ssh " + h +
                                          " 'sudo cp -r --remove-destination \\S+/usr/local/. "
                                          "/usr/local/'")))
        << out;
    for (const std::string step : {"daemon-reload", "enable web_server@", "restart web_server@"}) {
      const std::string suffix = step.back() == '@' ? name : "";
      EXPECT_TRUE(has_line(out, "+ ssh " + h + " 'sudo systemctl " + step + suffix + "'"))
          << step << " on " << h << "\n"
          << out;
    }
  }
  EXPECT_EQ(calls(), "") << "a dry run ran these";
  EXPECT_FALSE(fs::exists(dir_ / "cluster.secret")) << "a dry run made the secret";
}

TEST_F(DeployTest, BalancerRoleWritesTheBackendsAndRestartsTheBalancer) {
  const Ran ran = deploy({"--dry-run", "--no-sudo", "--role", "balancer", "--backends",
                          "a:8080,b:8080@2", "lb1", "lb2"});
  ASSERT_EQ(ran.status, 0) << ran.err;
  EXPECT_TRUE(std::regex_search(
      ran.out, std::regex("lb1/etc/backends .*:\n    a:8080\n    b:8080 weight=2\n")))
      << ran.out;
  for (const std::string host : {"lb1", "lb2"}) {
    EXPECT_TRUE(has_line(ran.out, "+ ssh " + host + " 'systemctl enable load_balancer'"))
        << ran.out;
    EXPECT_TRUE(has_line(ran.out, "+ ssh " + host + " 'systemctl restart load_balancer'"))
        << ran.out;
  }
}

// What a real run hands to ssh is what the dry run printed (staging folders named apart).
TEST_F(DeployTest, ARealRunRunsWhatTheDryRunPrinted) {
  const Ran dry = deploy({"--dry-run", "--role", "web", "web1", "web2"});
  ASSERT_EQ(dry.status, 0) << dry.err;
  const Ran real = deploy({"--role", "web", "web1", "web2"});
  ASSERT_EQ(real.status, 0) << real.out << real.err;

  const std::regex stage("balancer-suite-deploy\\.[0-9]+");
  std::string expected;
  std::istringstream lines(dry.out);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, std::regex("\\+ ssh (\\S+) '(.*)'"))) {
      expected += "ssh " + m[1].str() + " " + m[2].str() + "\n";
    } else if (std::regex_match(line, m, std::regex("\\+ ((scp|rsync) .*)"))) {
      expected += m[1].str() + "\n";
    }
  }
  ASSERT_FALSE(expected.empty()) << dry.out;
  EXPECT_EQ(std::regex_replace(calls(), stage, "STAGE"),
            std::regex_replace(expected, stage, "STAGE"));
  EXPECT_EQ(read_file(dir_ / "cluster.secret").size(), 64u);  // 32 random bytes in hex
  EXPECT_EQ(fs::status(dir_ / "cluster.secret").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

struct BadArguments {
  std::vector<std::string> args;
  std::string message;
};

TEST_F(DeployTest, BadArgumentsExitTwoWithOneLineNamingThem) {
  const std::vector<BadArguments> cases{
      {{"h1"}, "--role is required"},
      {{"--role", "cache", "h1"}, "--role: 'cache' is neither web nor balancer"},
      {{"--role", "web"}, "no HOST given"},
      {{"--role", "balancer", "h1"}, "--role balancer needs --backends"},
      {{"--role", "web", "--backends", "a:1", "h1"}, "--backends is for --role balancer"},
      {{"--role", "web", "--sync-replicas", "many", "h1"}, "--sync-replicas: 'many'"},
      {{"--role", "web", "--frobnicate", "h1"}, "unknown option --frobnicate"},
      {{"--role", "web", "h1;reboot"}, "not a [USER@]HOST: 'h1;reboot'"},
      {{"--role"}, "--role needs a value"},
  };
  for (const BadArguments& c : cases) {
    std::vector<std::string> args{"--dry-run"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const Ran ran = deploy(args);
    EXPECT_EQ(ran.status, 2) << c.message;
    EXPECT_EQ(ran.err.rfind("deploy.sh: ", 0), 0u) << ran.err;
    EXPECT_EQ(std::count(ran.err.begin(), ran.err.end(), '\n'), 1) << "one line: " << ran.err;
    EXPECT_NE(ran.err.find(c.message), std::string::npos) << ran.err;
    EXPECT_EQ(ran.out, "") << c.message;
  }
  EXPECT_EQ(calls(), "");
}

// ---------------------------------------------------------------------------------------------
// scripts/systemd: systemd-analyze verify on copies whose ExecStart names this build's
// executables (it checks that they exist).

TEST(ServiceUnitTest, UnitsPassSystemdAnalyzeVerify) {
  const std::string analyze = which("systemd-analyze");
  if (analyze.empty()) GTEST_SKIP() << "systemd-analyze is not installed (package systemd)";
  const fs::path dir = harness::temp_dir();
  // First a unit that must pass: if even it fails, this machine (a container without systemd's
  // runtime pieces) cannot run the check.
  write_file(dir / "probe.service", "[Service]\nExecStart=/bin/true\n");
  const Ran probe = harness::run({analyze, "verify", "--man=no", (dir / "probe.service").string()});
  if (probe.status != 0) GTEST_SKIP() << "systemd-analyze verify cannot run here: " << probe.err;

  std::vector<std::string> argv{analyze, "verify", "--man=no"};
  for (const auto& [source, copy] : {std::pair{"web_server@.service", "web_server@s1.service"},
                                     std::pair{"load_balancer.service", "load_balancer.service"}}) {
    const std::string unit = read_file(kSource + "/scripts/systemd/" + source);
    ASSERT_NE(unit.find("/usr/local/bin/"), std::string::npos) << source;
    write_file(dir / copy, replace_all(unit, "/usr/local/bin/", kBuild + "/"));
    argv.push_back((dir / copy).string());
  }
  const Ran verify = harness::run(argv);
  EXPECT_EQ(verify.status, 0) << verify.out << verify.err;
  // Unknown keys and bad values are only warnings to systemd-analyze: none may appear.
  EXPECT_EQ(verify.out + verify.err, "");
}

TEST(ServiceUnitTest, UnitsAreHardenedAndNotifyTheirState) {
  for (const char* name : {"web_server@.service", "load_balancer.service"}) {
    const std::string unit = read_file(kSource + "/scripts/systemd/" + name);
    for (const char* line :
         {"Type=notify", "NotifyAccess=main", "WatchdogSec=", "Restart=on-failure",
          "DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
          "PrivateTmp=yes", "PrivateDevices=yes", "ProtectKernelTunables=yes",
          "ProtectKernelModules=yes", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
          "CapabilityBoundingSet=\n", "EnvironmentFile=/etc/balancer-suite/"}) {
      EXPECT_NE(unit.find(std::string("\n") + line), std::string::npos) << name << ": " << line;
    }
  }
  EXPECT_NE(read_file(kSource + "/scripts/systemd/load_balancer.service")
                .find("\nExecReload=/bin/kill -HUP $MAINPID\n"),
            std::string::npos);
  EXPECT_NE(read_file(kSource + "/scripts/systemd/web_server@.service")
                .find("\nStateDirectory=balancer-suite/%i\n"),
            std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// scripts/nginx: the site with a certificate made here, first through nginx -t, then serving on
// loopback ports in front of a stand-in balancer (a listener of this test) that sees exactly
// what nginx forwards.

// A TLS client for the test, in Python's standard library: "get HOST:PORT CA" prints the
// response; "ws HOST:PORT CA" asks /ws for an upgrade, prints the status line, then sends "ping"
// through the tunnel and prints what comes back.
constexpr const char* kTlsClient = R"(import socket, ssl, sys
mode, address, ca = sys.argv[1], sys.argv[2], sys.argv[3]
host, port = address.rsplit(":", 1)
context = ssl.create_default_context(cafile=ca)
raw = socket.create_connection((host, int(port)), timeout=20)
tls = context.wrap_socket(raw, server_hostname="suite.example.org")
host = "Host: suite.example.org\r\n"
if mode == "get":
    tls.sendall(("GET /whoami?x=1 HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n").encode())
    data = b""
    while chunk := tls.recv(4096):
        data += chunk
    print(data.decode())
else:
    tls.sendall(("GET /ws HTTP/1.1\r\n" + host +
                 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += tls.recv(1)
    print(head.split(b"\r\n")[0].decode())
    tls.sendall(b"ping")
    print(tls.recv(4).decode())
)";

struct Nginx {
  fs::path dir;
  std::string binary;
  std::string openssl;
};

// Why nginx cannot be tried here, or "" (and the tools found).
std::string find_nginx(Nginx& nginx) {
  nginx.binary = which("nginx");
  if (nginx.binary.empty()) return "nginx is not installed (scripts/install-deps.sh test)";
  nginx.openssl = which("openssl");
  if (nginx.openssl.empty()) return "the openssl command is not installed (package openssl)";
  return "";
}

// Writes the site (certificate paths, and with `ports` the listen lines and the upstream,
// substituted) and an nginx.conf around it into nginx.dir, with a self-signed certificate.
void write_nginx_config(const Nginx& nginx, const std::string& extra,
                        const std::vector<std::pair<std::string, std::string>>& substitutions) {
  const Ran cert = harness::run(
      {nginx.openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
       "/CN=suite.example.org", "-addext", "subjectAltName=DNS:suite.example.org", "-keyout",
       (nginx.dir / "privkey.pem").string(), "-out", (nginx.dir / "fullchain.pem").string()});
  ASSERT_EQ(cert.status, 0) << cert.err;
  std::string site = read_file(kSource + "/scripts/nginx/balancer-suite.conf");
  for (const auto& [from, to] : substitutions) {
    ASSERT_NE(site.find(from), std::string::npos) << from;
    site = replace_all(site, from, to);
  }
  site = replace_all(site, "/etc/ssl/balancer-suite/", nginx.dir.string() + "/");
  write_file(nginx.dir / "site.conf", site);
  const std::string d = nginx.dir.string();
  write_file(nginx.dir / "nginx.conf",
             extra + "pid " + d + "/nginx.pid;\nerror_log " + d + "/error.log;\nevents {}\n" +
                 "http {\n  access_log off;\n  client_body_temp_path " + d + "/body;\n" +
                 "  proxy_temp_path " + d + "/proxy;\n  include " + d + "/site.conf;\n}\n");
}

std::vector<std::string> nginx_argv(const Nginx& nginx, const std::string& first) {
  const std::string d = nginx.dir.string();
  std::vector<std::string> argv{nginx.binary};
  if (!first.empty()) argv.push_back(first);
  argv.insert(argv.end(), {"-p", d, "-e", d + "/error.log", "-c", d + "/nginx.conf"});
  return argv;
}

TEST(NginxConfigTest, SiteConfigurationPassesNginxT) {
  Nginx nginx{harness::temp_dir(), "", ""};
  if (const std::string why = find_nginx(nginx); !why.empty()) GTEST_SKIP() << why;
  write_nginx_config(nginx, "", {});
  const Ran test = harness::run(nginx_argv(nginx, "-t"));
  EXPECT_EQ(test.status, 0) << test.err;
  EXPECT_NE(test.err.find("test is successful"), std::string::npos) << test.err;
}

// The next connection on `listener` within 30 s, its timeouts set; invalid when none came.
common::Fd accept_within(const common::Fd& listener) {
  pollfd p{listener.get(), POLLIN, 0};
  if (::poll(&p, 1, 30000) != 1) return common::Fd();
  common::Accepted accepted = common::accept_connection(listener);
  if (accepted.outcome != common::AcceptOutcome::accepted) return common::Fd();
  (void)common::set_io_timeouts(accepted.fd, 20s, 20s);
  return std::move(accepted.fd);
}

std::string read_head(const common::Fd& fd) {
  std::string head;
  char c = 0;
  while (head.find("\r\n\r\n") == std::string::npos) {
    auto n = common::recv_some(fd, &c, 1);
    if (!n || *n == 0) break;
    head.push_back(c);
  }
  return head;
}

TEST(NginxConfigTest, TerminatesTlsRedirectsHttpAndPassesUpgrades) {
  Nginx nginx{harness::temp_dir(), "", ""};
  if (const std::string why = find_nginx(nginx); !why.empty()) GTEST_SKIP() << why;
  const std::string python = which("python3");
  if (python.empty()) GTEST_SKIP() << "python3 is not installed (scripts/install-deps.sh test)";
  auto listener = common::listen_tcp(*common::parse_address("127.0.0.1:0"));
  ASSERT_TRUE(listener.ok()) << listener.error().message;
  const std::string upstream = common::local_address(*listener)->to_string();
  const std::string http = harness::free_address();
  const std::string https = harness::free_address();
  write_nginx_config(nginx, "daemon off;\nmaster_process off;\n",
                     {{"    listen [::]:80;\n", ""},
                      {"    listen [::]:443 ssl http2;\n", ""},
                      {"listen 80;", "listen " + http + ";"},
                      {"listen 443 ssl http2;", "listen " + https + " ssl http2;"},
                      {"server 127.0.0.1:8080;", "server " + upstream + ";"}});
  harness::Process server(nginx_argv(nginx, ""));
  std::string redirect;
  ASSERT_TRUE(harness::eventually([&] {
    redirect = harness::exchange(http, harness::get_request("/a/b?c=1", "suite.example.org"));
    return !redirect.empty();
  })) << read_file(nginx.dir / "error.log");
  EXPECT_EQ(harness::status_of(redirect), 301) << redirect;
  EXPECT_EQ(harness::field_of(redirect, "location"), "https://suite.example.org/a/b?c=1");

  // A request over TLS reaches the balancer as plain HTTP/1.1 with the forwarding fields.
  const std::string ca = (nginx.dir / "fullchain.pem").string();
  harness::Process get({python, "-c", kTlsClient, "get", https, ca});
  {
    const common::Fd fd = accept_within(*listener);
    ASSERT_TRUE(fd.valid()) << "nginx never connected; " << get.err();
    const std::string head = read_head(fd);
    EXPECT_EQ(head.rfind("GET /whoami?x=1 HTTP/1.1\r\n", 0), 0u) << head;
    EXPECT_EQ(harness::field_of(head, "host"), "suite.example.org") << head;
    EXPECT_EQ(harness::field_of(head, "x-forwarded-proto"), "https") << head;
    EXPECT_EQ(harness::field_of(head, "x-forwarded-for"), "127.0.0.1") << head;
    EXPECT_EQ(harness::field_of(head, "x-forwarded-host"), "suite.example.org") << head;
    EXPECT_EQ(harness::field_of(head, "upgrade"), "") << head;
    ASSERT_TRUE(common::send_all(fd,
                                 "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
                                 "Connection: close\r\n\r\nhi\n")
                    .ok());
  }
  ASSERT_EQ(get.wait_exit(30s), 0) << get.err();
  EXPECT_EQ(get.out().rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << get.out();

  // An upgrade to /ws passes with its fields, and the tunnel carries bytes both ways.
  harness::Process ws({python, "-c", kTlsClient, "ws", https, ca});
  {
    const common::Fd fd = accept_within(*listener);
    ASSERT_TRUE(fd.valid()) << "nginx never connected; " << ws.err();
    const std::string head = read_head(fd);
    EXPECT_EQ(harness::field_of(head, "upgrade"), "websocket") << head;
    EXPECT_EQ(harness::field_of(head, "connection"), "upgrade") << head;
    ASSERT_TRUE(common::send_all(fd,
                                 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                 "Connection: Upgrade\r\n\r\n")
                    .ok());
    char ping[4];
    size_t got = 0;
    while (got < sizeof ping) {
      auto n = common::recv_some(fd, ping + got, sizeof ping - got);
      if (!n || *n == 0) break;
      got += *n;
    }
    EXPECT_EQ(std::string(ping, got), "ping");
    ASSERT_TRUE(common::send_all(fd, "pong").ok());
    ASSERT_EQ(ws.wait_exit(30s), 0) << ws.err();
  }
  EXPECT_EQ(ws.out(), "HTTP/1.1 101 Switching Protocols\npong\n");
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(30s), 0) << read_file(nginx.dir / "error.log");
}

}  // namespace

// The web app in a real browser: headless Chromium (driven by tests/browser/cdp.py) opens the page
// of a web_server, and a change made through another connection appears in its table, pushed
// over /live; with two replicating servers behind the balancer, a change made on either server
// appears. The screenshots are kept as test artifacts.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <string>

#include "tests/integration/cluster.hpp"
#include "tests/integration/harness.hpp"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr const char* kChromium = "/usr/bin/chromium";
constexpr const char* kPython = "/usr/bin/python3";

// Why the browser test cannot run here, or "".
std::string missing_tools() {
  if (::access(kChromium, X_OK) != 0) return std::string(kChromium) + " is not installed";
  if (::access(kPython, X_OK) != 0) return std::string(kPython) + " is not installed";
  harness::Process probe({kPython, "-c", "import websockets"});
  if (probe.wait_exit(30s) != 0) return "python3-websockets is not installed";
  return {};
}

int put(const std::string& host_port, std::string_view key, std::string_view value) {
  const std::string request = "PUT /kv/" + std::string(key) +
                              " HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: " +
                              std::to_string(value.size()) + "\r\n\r\n" + std::string(value);
  return harness::status_of(harness::exchange(host_port, request, 30s));
}

// A row's value cell as the page shows it, as a JavaScript expression.
std::string cell(std::string_view key) {
  return "document.querySelector('tr[data-key=\"" + std::string(key) +
         "\"] td.value')?.textContent";
}

// Opens `url` in the browser, waits until the page is live, lets `change` make changes
// elsewhere, and expects `wait_js` to become true in the page; the screenshot goes to
// SUITE_BUILD_DIR/artifacts/<png_name>.
void expect_page_shows(const std::string& url, const std::function<void()>& change,
                       const std::string& wait_js, const std::string& png_name) {
  const fs::path artifacts = fs::path(SUITE_BUILD_DIR) / "artifacts";
  fs::create_directories(artifacts);
  const fs::path png = artifacts / png_name;
  fs::remove(png);
  harness::Process browser({kPython, std::string(SUITE_SOURCE_DIR) + "/tests/browser/cdp.py",
                            "--url", url, "--ready-js", "window.liveReady === true", "--wait-js",
                            wait_js, "--screenshot", png.string(), "--window-size", "1200,1000",
                            "--timeout", "60"});
  ASSERT_TRUE(browser.wait_line("ready", 90s)) << browser.err();
  // The page has its socket open and its list loaded: these changes can only come by push.
  change();
  EXPECT_EQ(browser.wait_exit(120s), 0) << browser.err();

  std::ifstream file(png, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.substr(0, 8), "\x89PNG\r\n\x1a\n");
  EXPECT_GT(bytes.size(), 10000u) << "a screenshot this small is probably blank";
}

std::string static_dir() { return std::string(SUITE_SOURCE_DIR) + "/web_server/www"; }

TEST(LivePageTest, APutMadeElsewhereAppearsInTheOpenPage) {
  if (const std::string why = missing_tools(); !why.empty()) GTEST_SKIP() << why;
  const std::string dir = harness::temp_dir();
  harness::Process server({harness::exe("web_server"), "--listen", "127.0.0.1:0", "--name",
                           "page-test", "--data-dir", dir + "/data", "--static-dir", static_dir()});
  const std::string host_port = server.wait_listening();
  ASSERT_FALSE(host_port.empty()) << server.err();
  ASSERT_EQ(put(host_port, "seeded", "before the page"), 201);

  expect_page_shows(
      "http://" + host_port + "/", [&] { ASSERT_EQ(put(host_port, "pushed", "arrived live"), 201); },
      cell("pushed") + " === 'arrived live' && " + cell("seeded") + " === 'before the page'",
      "live_page.png");
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(60s), 0) << server.err();
  fs::remove_all(dir);
}

// The original experiment's promise: the balancer may send a user to any server, and what was
// written on one server shows on a page served by another, at once.
TEST(LivePageTest, WritesOnEitherReplicatedServerAppearInAPageOpenedThroughTheBalancer) {
  if (const std::string why = missing_tools(); !why.empty()) GTEST_SKIP() << why;
  const std::string dir = harness::temp_dir();
  const std::string secret = dir + "/secret";
  std::ofstream(secret) << "page test secret\n";
  const std::string repl[2] = {harness::free_address(), harness::free_address()};
  std::vector<std::unique_ptr<harness::Process>> servers;
  std::vector<std::string> http;
  for (int i = 0; i < 2; ++i) {
    const std::string name = "page-s" + std::to_string(i + 1);
    servers.push_back(std::make_unique<harness::Process>(std::vector<std::string>{
        harness::exe("web_server"), "--listen", "127.0.0.1:0", "--name", name, "--data-dir",
        dir + "/" + name, "--static-dir", static_dir(), "--replication-listen", repl[i],
        "--peers", repl[1 - i], "--cluster-secret-file", secret}));
    http.push_back(servers.back()->wait_listening());
    ASSERT_FALSE(http.back().empty()) << servers.back()->err();
  }
  harness::Process balancer({harness::exe("load_balancer"), "--listen", "127.0.0.1:0",
                             "--backends", http[0] + "," + http[1]});
  const std::string lb = balancer.wait_listening();
  ASSERT_FALSE(lb.empty()) << balancer.err();

  expect_page_shows(
      "http://" + lb + "/",
      [&] {
        ASSERT_EQ(put(http[0], "written-on-s1", "from s1"), 201);
        ASSERT_EQ(put(http[1], "written-on-s2", "from s2"), 201);
      },
      cell("written-on-s1") + " === 'from s1' && " + cell("written-on-s2") + " === 'from s2'",
      "live_page_replicated.png");
  fs::remove_all(dir);
}

}  // namespace

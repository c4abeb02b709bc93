// The web app in a real browser: headless Chromium (driven by tests/browser/cdp.py) opens the page
// of a web_server, and a change made through another connection appears in its table, pushed
// over /live. The screenshot is kept as a test artifact.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

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

TEST(LivePageTest, APutMadeElsewhereAppearsInTheOpenPage) {
  if (const std::string why = missing_tools(); !why.empty()) GTEST_SKIP() << why;
  const std::string dir = harness::temp_dir();
  harness::Process server({harness::exe("web_server"), "--listen", "127.0.0.1:0", "--name",
                           "page-test", "--data-dir", dir + "/data", "--static-dir",
                           std::string(SUITE_SOURCE_DIR) + "/web_server/www"});
  const std::string host_port = server.wait_listening();
  ASSERT_FALSE(host_port.empty()) << server.err();
  ASSERT_EQ(put(host_port, "seeded", "before the page"), 201);

  const fs::path artifacts = fs::path(SUITE_BUILD_DIR) / "artifacts";
  fs::create_directories(artifacts);
  const fs::path png = artifacts / "live_page.png";
  fs::remove(png);
  harness::Process browser(
      {kPython, std::string(SUITE_SOURCE_DIR) + "/tests/browser/cdp.py", "--url",
       "http://" + host_port + "/", "--ready-js", "window.liveReady === true", "--wait-js",
       cell("pushed") + " === 'arrived live' && " + cell("seeded") + " === 'before the page'",
       "--screenshot", png.string(), "--window-size", "1200,1000", "--timeout", "60"});
  ASSERT_TRUE(browser.wait_line("ready", 90s)) << browser.err();
  // The page has its socket open and its list loaded: this change can only come by push.
  ASSERT_EQ(put(host_port, "pushed", "arrived live"), 201);
  EXPECT_EQ(browser.wait_exit(120s), 0) << browser.err();

  std::ifstream file(png, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.substr(0, 8), "\x89PNG\r\n\x1a\n");
  EXPECT_GT(bytes.size(), 10000u) << "a screenshot this small is probably blank";
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(60s), 0) << server.err();
  fs::remove_all(dir);
}

}  // namespace

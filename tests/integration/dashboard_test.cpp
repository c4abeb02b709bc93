// The admin dashboard: the page served is the files in load_balancer/admin/assets/ put together,
// and in a real headless Chromium (tests/browser/cdp.py) a backend killed shows as down within
// 2 seconds, and as up again once it is back.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/cluster.hpp"
#include "tests/integration/harness.hpp"

namespace {

using namespace harness;

constexpr const char* kChromium = "/usr/bin/chromium";
constexpr const char* kPython = "/usr/bin/python3";

std::string cdp() { return std::string(SUITE_SOURCE_DIR) + "/tests/browser/cdp.py"; }

// Why the browser tests cannot run here, or "" when they can.
std::string browser_missing() {
  if (::access(kChromium, X_OK) != 0) return std::string(kChromium) + " is not installed";
  const Ran probe = run({kPython, "-c", "import websockets"}, 60s);
  if (probe.status != 0) return "python3-websockets is not installed (cdp.py needs it)";
  return "";
}

// The JavaScript for the row of `backend` having state `state`.
std::string row_is(const std::string& backend, const std::string& state) {
  return "(document.querySelector('tr[data-backend=\"" + backend + "\"]') || {dataset: {}})" +
         ".dataset.state === '" + state + "'";
}

std::string asset(const std::string& name) {
  std::ifstream in(std::string(SUITE_SOURCE_DIR) + "/load_balancer/admin/assets/" + name,
                   std::ios::binary);
  EXPECT_TRUE(in) << name;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void put(std::string& page, const std::string& marker, const std::string& content) {
  const size_t at = page.find(marker);
  ASSERT_NE(at, std::string::npos) << marker;
  page.replace(at, marker.size(), content);
}

TEST(DashboardTest, ServesTheAssetFilesByteForByte) {
  auto servers = start_web_servers(1);
  auto balancer = start_admin_balancer({"--backends", backends_flag(servers)});
  std::string expected = asset("dashboard.html");
  put(expected, "/*STYLE*/", asset("dashboard.css"));
  put(expected, "/*SCRIPT*/", asset("dashboard.js"));
  const std::string response = admin_request(balancer->admin, "GET", "/");
  EXPECT_EQ(status_of(response), 200) << response;
  EXPECT_EQ(body_of(response), expected);
}

TEST(DashboardTest, ShowsABackendDownWithinTwoSecondsAndUpAgain) {
  const std::string missing = browser_missing();
  if (!missing.empty()) GTEST_SKIP() << "skipped: " << missing;
  auto servers = start_web_servers(2);
  const std::string victim = servers[1]->address;
  auto balancer = start_admin_balancer({"--backends", backends_flag(servers), "--health-interval",
                                        "100ms", "--fall", "1", "--rise", "1"});
  const std::string url = "http://" + balancer->admin + "/";

  // Ready once the page shows the backend up (it remembers when); then the backend is killed,
  // and the page must show it down within 2 s of that moment. Past 2 s the expression throws,
  // which cdp.py never takes as done: the wait then times out and fails.
  const std::string ready = "(" + row_is(victim, "up") + ") && (window.readyAt = Date.now())";
  const std::string down_in_time =
      "(() => { if (" + row_is(victim, "down") +
      ") return Date.now() - window.readyAt <= 2000 "
      "|| (() => { throw new Error('down only after 2 s'); })(); "
      "if (Date.now() - window.readyAt > 2000) throw new Error('not down within 2 s'); "
      "return false; })()";
  Process watch({kPython, cdp(), "--url", url, "--ready-js", ready, "--wait-js", down_in_time,
                 "--timeout", "30"});
  ASSERT_TRUE(watch.wait_line("ready", 60s)) << watch.err();
  servers[1]->process.signal(SIGKILL);
  EXPECT_EQ(watch.wait_exit(90s), 0) << watch.err();

  ASSERT_EQ(servers[1]->process.wait_exit(), 128 + SIGKILL);
  servers[1] = start_web_server("s1", victim);  // the same port again
  // Some traffic, so that the screenshot's charts have something to show.
  (void)run({exe("client"), "http://" + balancer->address + "/", "--duration", "2s", "--json"});
  const std::string artifacts = std::string(SUITE_BUILD_DIR) + "/artifacts";
  std::filesystem::create_directories(artifacts);
  const std::string png = artifacts + "/dashboard.png";
  std::filesystem::remove(png);
  const Ran back = run({kPython, cdp(), "--url", url, "--wait-js", row_is(victim, "up"),
                        "--timeout", "30", "--screenshot", png, "--window-size", "1280,600"},
                       120s);
  EXPECT_EQ(back.status, 0) << back.err;
  ASSERT_TRUE(std::filesystem::exists(png));
  std::ifstream in(png, std::ios::binary);
  std::string magic(8, '\0');
  in.read(magic.data(), 8);
  EXPECT_EQ(magic, "\x89PNG\r\n\x1a\n");
  EXPECT_GT(std::filesystem::file_size(png), 1000u);
}

}  // namespace

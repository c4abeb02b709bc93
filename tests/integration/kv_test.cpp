// The KV API and the /live push end to end: the real web_server with its store in a temp folder,
// spoken to in raw bytes, restarted (gracefully and not) on the same folder.
#include <signal.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/socket.hpp"
#include "common/websocket.hpp"
#include "tests/integration/cluster.hpp"
#include "tests/integration/harness.hpp"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace ws = common::ws;

constexpr size_t kMiB = 1024 * 1024;

struct Reply {
  int status = 0;
  std::string head;
  std::string body;
  std::string header(const std::string& lower_name) const {
    return harness::field_of(head, lower_name);
  }
};

// One request on its own connection (Connection: close), read to the end.
Reply http(const std::string& host_port, std::string_view method, std::string_view target,
           std::optional<std::string_view> body = std::nullopt) {
  std::string request = std::string(method) + " " + std::string(target) +
                        " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n";
  if (body) request += "Content-Length: " + std::to_string(body->size()) + "\r\n";
  request += "\r\n";
  if (body) request += *body;
  const std::string raw = harness::exchange(host_port, request, 30s);
  Reply reply;
  reply.status = harness::status_of(raw);
  const size_t end = raw.find("\r\n\r\n");
  reply.head = raw.substr(0, end);
  if (end != std::string::npos) reply.body = raw.substr(end + 4);
  return reply;
}

Reply put(const std::string& host_port, std::string_view key, std::string_view value) {
  return http(host_port, "PUT", "/kv/" + std::string(key), value);
}

// A WebSocket client of /live that reads the server's (unmasked) frames.
class LiveClient {
 public:
  explicit LiveClient(const std::string& host_port) {
    auto fd = common::connect_tcp(*common::parse_address(host_port), 20s);
    if (!fd) throw std::runtime_error(fd.error().message);
    fd_ = std::move(*fd);
    (void)common::set_io_timeouts(fd_, 20s, 20s);
  }
  // Sends the handshake; returns the status of the answer.
  int open() {
    const std::string request =
        "GET /live HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    if (!common::send_all(fd_, request)) return 0;
    size_t end = 0;
    while ((end = buffered_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return 0;
    }
    const int status = harness::status_of(buffered_);
    buffered_.erase(0, end + 4);
    return status;
  }
  // The next frame's opcode and payload; nullopt if the connection ended first.
  std::optional<std::pair<ws::Opcode, std::string>> frame() {
    for (;;) {
      const ws::HeaderParse parse = ws::parse_frame_header(buffered_, ws::FrameRules{false});
      if (parse.state == common::ParseState::error) return std::nullopt;
      if (parse.state == common::ParseState::complete &&
          buffered_.size() >= parse.header.size + parse.header.payload_length) {
        std::string payload = buffered_.substr(parse.header.size, parse.header.payload_length);
        buffered_.erase(0, parse.header.size + payload.size());
        return std::make_pair(parse.header.opcode, payload);
      }
      if (!fill()) return std::nullopt;
    }
  }

 private:
  bool fill() {
    char buffer[8192];
    const auto got = common::recv_some(fd_, buffer, sizeof buffer);
    if (!got || *got == 0) return false;
    buffered_.append(buffer, *got);
    return true;
  }
  common::Fd fd_;
  std::string buffered_;
};

class KvTest : public testing::Test {
 protected:
  void SetUp() override { dir_ = harness::temp_dir(); }
  void TearDown() override {
    stop();
    fs::remove_all(dir_);
  }
  // Starts web_server on the test's data folder; returns its HOST:PORT.
  std::string start() {
    server_.emplace(std::vector<std::string>{harness::exe("web_server"), "--listen", "127.0.0.1:0",
                                             "--name", "kv", "--data-dir", dir_ + "/data"});
    const std::string host_port = server_->wait_listening();
    EXPECT_FALSE(host_port.empty()) << server_->err();
    return host_port;
  }
  // A graceful stop that must end with exit 0 (and, under sanitizers, no report).
  void stop() {
    if (!server_ || !server_->running()) return;
    server_->signal(SIGTERM);
    EXPECT_EQ(server_->wait_exit(60s), 0) << server_->err();
  }

  std::string dir_;
  std::optional<harness::Process> server_;
};

TEST_F(KvTest, PutGetDeleteAnswerWithTheirStatusesAndVersions) {
  const std::string host_port = start();
  const Reply absent = http(host_port, "GET", "/kv/greeting");
  EXPECT_EQ(absent.status, 404);
  EXPECT_EQ(absent.header("x-version"), "0-0000000000000000");
  const Reply created = put(host_port, "greeting", "hello");
  EXPECT_EQ(created.status, 201);
  const std::string version = created.header("x-version");
  EXPECT_EQ(created.header("etag"), "\"" + version + "\"");
  EXPECT_EQ(put(host_port, "greeting", "hello again").status, 200);
  const Reply got = http(host_port, "GET", "/kv/greeting");
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, "hello again");
  EXPECT_EQ(got.header("content-type"), "application/octet-stream");
  EXPECT_NE(got.header("x-version"), version);
  const Reply head = http(host_port, "HEAD", "/kv/greeting");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), "11");
  EXPECT_EQ(head.body, "");
  const Reply deleted = http(host_port, "DELETE", "/kv/greeting");
  EXPECT_EQ(deleted.status, 204);
  EXPECT_EQ(deleted.header("content-length"), "");
  EXPECT_FALSE(deleted.header("x-version").empty());
  const Reply gone = http(host_port, "GET", "/kv/greeting");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.header("x-version"), deleted.header("x-version")) << "the delete's version";
  EXPECT_EQ(http(host_port, "DELETE", "/kv/greeting").status, 404);
}

TEST_F(KvTest, ListsKeysAsJsonWithTheHighestVersion) {
  const std::string host_port = start();
  put(host_port, "fruit/apple", "red");
  const std::string last = put(host_port, "fruit/banana", "yellow").header("x-version");
  put(host_port, "veg/leek", "green");
  const Reply list = http(host_port, "GET", "/kv?prefix=fruit%2F&limit=10");
  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(list.header("content-type"), "application/json");
  EXPECT_EQ(list.header("x-version"), last);
  const auto json = nlohmann::json::parse(list.body);
  ASSERT_EQ(json["items"].size(), 2u);
  EXPECT_EQ(json["items"][1]["key"], "fruit/banana");
  EXPECT_EQ(json["items"][1]["value"], "yellow");
  EXPECT_EQ(json["items"][1]["version"], last);
  EXPECT_EQ(json["truncated"], false);
  EXPECT_EQ(http(host_port, "GET", "/kv?limit=1001").status, 400);
  EXPECT_EQ(http(host_port, "GET", "/kv?prefix=%G0").status, 400);
}

TEST_F(KvTest, InvalidKeysAre400AndOtherMethods405) {
  const std::string host_port = start();
  for (const char* target : {"/kv/", "/kv/a%20b", "/kv/a//b", "/kv/../x", "/kv/a/", "/kv/%2e"}) {
    EXPECT_EQ(http(host_port, "PUT", target, "v").status, 400) << target;
  }
  const Reply post = http(host_port, "POST", "/kv/a", "v");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.header("allow"), "GET, HEAD, PUT, DELETE");
  EXPECT_EQ(http(host_port, "DELETE", "/kv").header("allow"), "GET, HEAD");
}

TEST_F(KvTest, AMebibyteValueRoundTripsAndOneByteMoreIs413) {
  const std::string host_port = start();
  std::string value(kMiB, '\0');
  for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>(i * 7 + i / 1000);
  EXPECT_EQ(put(host_port, "big", value).status, 201);
  const Reply got = http(host_port, "GET", "/kv/big");
  EXPECT_EQ(got.status, 200);
  EXPECT_TRUE(got.body == value) << "a different value of " << got.body.size() << " bytes";
  EXPECT_EQ(put(host_port, "bigger", value + "x").status, 413);
  EXPECT_EQ(http(host_port, "GET", "/kv/bigger").status, 404);
}

TEST_F(KvTest, AChunkedPutIsStoredWhole) {
  const std::string host_port = start();
  const std::string request =
      "PUT /kv/chunked HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n"
      "Connection: close\r\n\r\n5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\n\r\n";
  EXPECT_EQ(harness::status_of(harness::exchange(host_port, request, 30s)), 201);
  EXPECT_EQ(http(host_port, "GET", "/kv/chunked").body, "hello world");
}

TEST_F(KvTest, ReplicationStatusWithoutPeersNamesTheServer) {
  const std::string host_port = start();
  const auto json = nlohmann::json::parse(http(host_port, "GET", "/replication").body);
  EXPECT_EQ(json["id"].get<std::string>().size(), 16u);
  EXPECT_TRUE(json["peers"].empty());
}

// Puts n keys k0..k{n-1} with values v0..; returns each acknowledged version.
std::vector<std::string> put_many(const std::string& host_port, int n) {
  std::vector<std::string> versions;
  for (int i = 0; i < n; ++i) {
    const Reply reply = put(host_port, "k" + std::to_string(i), "v" + std::to_string(i));
    EXPECT_EQ(reply.status, 201);
    versions.push_back(reply.header("x-version"));
  }
  return versions;
}

void expect_all(const std::string& host_port, const std::vector<std::string>& versions) {
  for (size_t i = 0; i < versions.size(); ++i) {
    const Reply got = http(host_port, "GET", "/kv/k" + std::to_string(i));
    EXPECT_EQ(got.status, 200) << i;
    EXPECT_EQ(got.body, "v" + std::to_string(i));
    EXPECT_EQ(got.header("x-version"), versions[i]);
  }
}

TEST_F(KvTest, ARestartKeepsEveryAcknowledgedWrite) {
  const std::vector<std::string> versions = put_many(start(), 50);
  stop();
  expect_all(start(), versions);
}

TEST_F(KvTest, SigkillRightAfterAcknowledgedWritesLosesNone) {
  const std::vector<std::string> versions = put_many(start(), 100);
  server_->signal(SIGKILL);
  EXPECT_EQ(server_->wait_exit(60s), 128 + SIGKILL);
  const std::string host_port = start();
  expect_all(host_port, versions);
  // The clock went on from where it was: a new write gets a newer version.
  const std::string next = put(host_port, "k0", "again").header("x-version");
  EXPECT_GT(std::stoull(next.substr(0, next.find('-'))),
            std::stoull(versions.back().substr(0, versions.back().find('-'))));
}

TEST_F(KvTest, ConcurrentPutsAreAllReadable) {
  const std::string host_port = start();
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::vector<std::vector<int>> statuses(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string key = "t" + std::to_string(t) + "/" + std::to_string(i);
        statuses[static_cast<size_t>(t)].push_back(put(host_port, key, key).status);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const auto& each : statuses) EXPECT_EQ(each, std::vector<int>(kEach, 201));
  const auto json = nlohmann::json::parse(http(host_port, "GET", "/kv?limit=1000").body);
  ASSERT_EQ(json["items"].size(), size_t{kThreads * kEach});
  for (const auto& item : json["items"]) EXPECT_EQ(item["value"], item["key"]);
}

// A bad flag value like any other: exit 2, one line naming the flag and the folder.
TEST_F(KvTest, AnUnopenableDataDirFailsAtStartWithOneLine) {
  std::ofstream(dir_ + "/file") << "not a folder";
  harness::Process server({harness::exe("web_server"), "--listen", "127.0.0.1:0", "--data-dir",
                           dir_ + "/file/data"});
  EXPECT_EQ(server.wait_exit(60s), 2);
  const std::string err = server.err();
  EXPECT_NE(err.find("--data-dir: "), std::string::npos) << err;
  EXPECT_NE(err.find(dir_ + "/file/data"), std::string::npos) << err;
  EXPECT_EQ(err.find('\n'), err.size() - 1) << err;
  EXPECT_EQ(server.out(), "");
}

// ---- One store, one server ----

// flock is released when a process ends however it ends; the lock is what stops a second server
// from sharing store.db (and with it the origin id) with the first.
TEST_F(KvTest, ASecondServerOnTheDataDirExits1NamingItAndTheHolderWhileTheFirstServes) {
  const std::string first = start();
  harness::Process second(
      {harness::exe("web_server"), "--listen", "127.0.0.1:0", "--data-dir", dir_ + "/data"});
  ASSERT_EQ(second.wait_listening(), "") << "the second server started on a held folder";
  EXPECT_EQ(second.wait_exit(60s), 1);
  EXPECT_EQ(second.err(), "web_server: data folder " + dir_ + "/data is in use by process " +
                              std::to_string(server_->pid()) + "\n");
  EXPECT_EQ(second.out(), "");
  EXPECT_EQ(put(first, "still", "here").status, 201);
  EXPECT_EQ(http(first, "GET", "/kv/still").body, "here");
}

// Without --data-dir or --name, each server's default folder names the port it was bound to, so
// two servers on port 0 in one working folder keep two stores.
TEST_F(KvTest, TwoPort0ServersWithDefaultFoldersInOneWorkingFolderKeepSeparateStores) {
  std::vector<harness::Process> servers;
  std::vector<std::string> addresses;
  for (int i = 0; i < 2; ++i) {
    servers.emplace_back(
        std::vector<std::string>{harness::exe("web_server"), "--listen", "127.0.0.1:0"}, dir_);
    addresses.push_back(servers.back().wait_listening());
    ASSERT_FALSE(addresses.back().empty()) << servers.back().err();
  }
  ASSERT_EQ(put(addresses[0], "mine", "first").status, 201);
  EXPECT_EQ(http(addresses[0], "GET", "/kv/mine").status, 200);
  EXPECT_EQ(http(addresses[1], "GET", "/kv/mine").status, 404);
  for (const std::string& address : addresses) {
    std::string name = address;
    std::replace(name.begin(), name.end(), ':', '_');
    EXPECT_TRUE(fs::exists(dir_ + "/data/" + name + "/store.db")) << name;
  }
  for (harness::Process& server : servers) {
    server.signal(SIGTERM);
    EXPECT_EQ(server.wait_exit(60s), 0) << server.err();
  }
}

// ---- /live ----

TEST_F(KvTest, LivePushesAPutAndADeleteMadeByAnotherConnection) {
  const std::string host_port = start();
  LiveClient live(host_port);
  ASSERT_EQ(live.open(), 101);
  const std::string version = put(host_port, "news", "fresh").header("x-version");
  const auto pushed = live.frame();
  ASSERT_TRUE(pushed);
  EXPECT_EQ(pushed->first, ws::Opcode::text);
  const auto json = nlohmann::json::parse(pushed->second);
  EXPECT_EQ(json["key"], "news");
  EXPECT_EQ(json["value"], "fresh");
  EXPECT_EQ(json["version"], version);
  ASSERT_EQ(http(host_port, "DELETE", "/kv/news").status, 204);
  const auto deleted = live.frame();
  ASSERT_TRUE(deleted);
  EXPECT_TRUE(nlohmann::json::parse(deleted->second)["value"].is_null());
}

TEST_F(KvTest, LiveSubscribersAreClosedWith1001WhenTheServerDrains) {
  const std::string host_port = start();
  LiveClient live(host_port);
  ASSERT_EQ(live.open(), 101);
  ASSERT_EQ(put(host_port, "a", "1").status, 201);  // the subscription is in place once pushed
  ASSERT_TRUE(live.frame());
  server_->signal(SIGTERM);
  const auto closing = live.frame();
  ASSERT_TRUE(closing);
  EXPECT_EQ(closing->first, ws::Opcode::close);
  EXPECT_EQ(closing->second, "\x03\xE9");
  EXPECT_EQ(server_->wait_exit(60s), 0) << server_->err();
}

}  // namespace

#include "common/service_notify.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>

#include "common/fd.hpp"
#include "tests/unit/temp_dir.hpp"

namespace {

using namespace std::chrono_literals;

// Plays systemd's side: a datagram socket bound in a temp folder and named by $NOTIFY_SOCKET.
class ServiceNotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (dir_.path() / "notify").string();
    socket_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(socket_.valid()) << std::strerror(errno);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    ASSERT_LT(path_.size(), sizeof address.sun_path);
    std::memcpy(address.sun_path, path_.c_str(), path_.size() + 1);
    ASSERT_EQ(::bind(socket_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address), 0)
        << "bind " << path_ << ": " << std::strerror(errno);
    // A notice that never comes fails the test instead of hanging it.
    const timeval timeout{20, 0};
    ASSERT_EQ(::setsockopt(socket_.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout), 0);
    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  void TearDown() override {
    for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"}) ::unsetenv(name);
  }

  // The next notice, or "" when none came within the receive timeout (or flags' non-blocking).
  std::string receive(int flags = 0) {
    char buffer[4096];
    const ssize_t n = ::recv(socket_.get(), buffer, sizeof buffer, flags);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
  }

  static void enable_watchdog(const std::string& usec, pid_t pid = ::getpid()) {
    ::setenv("WATCHDOG_USEC", usec.c_str(), 1);
    ::setenv("WATCHDOG_PID", std::to_string(pid).c_str(), 1);
  }

  test_support::TempDir dir_;
  std::string path_;
  common::Fd socket_;
};

TEST_F(ServiceNotifyTest, ReadySendsReadyAndStatus) {
  ASSERT_TRUE(common::notify_ready("listening on 127.0.0.1:8080").ok());
  EXPECT_EQ(receive(), "READY=1\nSTATUS=listening on 127.0.0.1:8080");
}

TEST_F(ServiceNotifyTest, ReadyWithoutStatusSendsOnlyReady) {
  ASSERT_TRUE(common::notify_ready("").ok());
  EXPECT_EQ(receive(), "READY=1");
}

TEST_F(ServiceNotifyTest, StoppingSendsStopping) {
  ASSERT_TRUE(common::notify_stopping("draining").ok());
  EXPECT_EQ(receive(), "STOPPING=1\nSTATUS=draining");
}

TEST_F(ServiceNotifyTest, ReloadingCarriesTheMonotonicTime) {
  ASSERT_TRUE(common::notify_reloading("reloading backends").ok());
  const std::string notice = receive();
  const std::string head = "RELOADING=1\nMONOTONIC_USEC=";
  ASSERT_EQ(notice.rfind(head, 0), 0u) << notice;
  const size_t end = notice.find('\n', head.size());
  ASSERT_NE(end, std::string::npos) << notice;
  EXPECT_GT(std::stoull(notice.substr(head.size(), end - head.size())), 0u);
  EXPECT_EQ(notice.substr(end), "\nSTATUS=reloading backends");
}

TEST_F(ServiceNotifyTest, StatusAloneSendsOnlyStatus) {
  ASSERT_TRUE(common::notify_status("3 of 4 backends up").ok());
  EXPECT_EQ(receive(), "STATUS=3 of 4 backends up");
}

TEST_F(ServiceNotifyTest, WithoutNotifySocketNothingIsSent) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(common::notify_ready("up").ok());
  EXPECT_TRUE(common::notify_stopping("down").ok());
  EXPECT_EQ(receive(MSG_DONTWAIT), "");
}

TEST_F(ServiceNotifyTest, AnUnreachableSocketIsReportedWithTheNotice) {
  const std::string gone = (dir_.path() / "nobody-here").string();
  ::setenv("NOTIFY_SOCKET", gone.c_str(), 1);
  const common::Status status = common::notify_ready("up");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("sd_notify READY=1"), std::string::npos)
      << status.error().message;
}

TEST_F(ServiceNotifyTest, WatchdogPingsAtHalfTheInterval) {
  enable_watchdog("200000");
  common::WatchdogPinger pinger;
  ASSERT_TRUE(pinger.active());
  EXPECT_EQ(pinger.period(), 100ms);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(receive(), "WATCHDOG=1") << "ping " << i;
}

TEST_F(ServiceNotifyTest, WatchdogStaysOffWhenItIsAnotherProcesssWatchdog) {
  enable_watchdog("200000", ::getppid());
  common::WatchdogPinger pinger;
  EXPECT_FALSE(pinger.active());
  EXPECT_EQ(pinger.period(), 0us);
}

TEST_F(ServiceNotifyTest, WatchdogStaysOffWithoutAnInterval) {
  common::WatchdogPinger pinger;
  EXPECT_FALSE(pinger.active());
  EXPECT_EQ(receive(MSG_DONTWAIT), "");
}

TEST_F(ServiceNotifyTest, WatchdogHoldsPingsWhileTheProbeFails) {
  enable_watchdog("20000");  // a 10 ms period: many probes in little time
  std::atomic<int> probes{0};
  std::atomic<bool> healthy{false};
  common::WatchdogPinger pinger([&] {
    ++probes;
    return healthy.load();
  });
  while (probes.load() < 5) std::this_thread::sleep_for(5ms);  // bounded by the ctest timeout
  EXPECT_EQ(receive(MSG_DONTWAIT), "") << "pinged while unhealthy";
  healthy = true;
  EXPECT_EQ(receive(), "WATCHDOG=1");
}

TEST_F(ServiceNotifyTest, DestructionDoesNotWaitOutTheInterval) {
  enable_watchdog("3600000000");  // an hour: a pinger that slept it out would hang this test
  {
    common::WatchdogPinger pinger;
    ASSERT_TRUE(pinger.active());
    EXPECT_EQ(receive(), "WATCHDOG=1");  // the first ping goes out at once
  }
  EXPECT_EQ(receive(MSG_DONTWAIT), "");
}

}  // namespace

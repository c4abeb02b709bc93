#include "tests/integration/clock_offset.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "tests/integration/harness.hpp"
#include "tests/integration/replica_cluster.hpp"

namespace harness {

namespace {

std::string libfaketime() {
  for (const char* path : {"/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                           "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
                           "/usr/lib/faketime/libfaketime.so.1"}) {
    if (::access(path, R_OK) == 0) return path;
  }
  return "";
}

int64_t wall_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::vector<std::string> clock_offset_env(int seconds) {
  const char* asan = std::getenv("ASAN_OPTIONS");
  const std::string inherited = asan && *asan ? std::string(asan) + ":" : "";
  return {"LD_PRELOAD=" + libfaketime(),
          "FAKETIME=" + std::string(seconds >= 0 ? "+" : "") + std::to_string(seconds) + "s",
          "DONT_FAKE_MONOTONIC=1", "ASAN_OPTIONS=" + inherited + "verify_asan_link_order=0"};
}

std::optional<std::string> clock_offset_problem() {
  if (libfaketime().empty()) return "libfaketime.so.1 not found (install the faketime package)";
  const std::string dir = temp_dir();
  std::vector<std::string> argv{"/usr/bin/env"};
  for (auto& variable : clock_offset_env(3)) argv.push_back(variable);
  argv.insert(argv.end(), {exe("web_server"), "--listen", "127.0.0.1:0", "--name", "clock-probe",
                           "--data-dir", dir});
  std::optional<std::string> problem;
  {
    Process probe(argv);
    const std::string address = probe.wait_listening();
    if (address.empty()) {
      problem = "web_server did not start under libfaketime: " + probe.err().substr(0, 300);
    } else {
      const int64_t before = wall_millis();
      const Reply reply = http(address, "PUT", "/kv/clock-probe", "x");
      const auto hlc_millis = static_cast<int64_t>(version_order(reply.version).first >> 16);
      const int64_t offset = hlc_millis - before;
      if (offset < 2000 || offset > 4000) {
        problem = "a +3s offset showed as " + std::to_string(offset) + " ms in " + reply.version;
      }
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return problem;
}

}  // namespace harness

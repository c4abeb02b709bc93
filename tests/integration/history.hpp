// The history of a nemesis run: every KV request the clients made, with when it started and
// ended, what it answered and how sure we are that it took effect. Recording is thread-safe;
// the checker reads a snapshot once the run is over.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace harness {

// "<hlc>-<origin hex>" as a pair that orders like the versions do: by hlc, then origin.
// An empty or malformed version (a 404's "0-0...") orders below every real one.
std::pair<uint64_t, uint64_t> version_order(const std::string& version);

enum class OpKind { put, del, get };
std::string_view to_string(OpKind kind);

// What an answer tells about a write: acknowledged (2xx: applied, version known), failed
// (definitely not applied: refused connection, 503, a DELETE's 404), or indeterminate (timeout,
// reset, 504, any other answer: it may or may not have been applied).
enum class Outcome { ok, failed, indeterminate };
std::string_view to_string(Outcome outcome);

struct Op {
  OpKind kind = OpKind::get;
  std::string key;
  size_t server = 0;
  int client = -1;    // the client thread; -1 for scripted steps
  std::string value;  // PUT: the value sent (unique per PUT); GET: the value read
  double start = 0;   // seconds since the run began
  double end = 0;
  int status = 0;       // 0: no answer
  std::string version;  // X-Version, "" without an answer
  Outcome outcome = Outcome::indeterminate;
  std::string error;    // why there was no answer
  long after_put = -1;  // a GET made right after this PUT (index) was acknowledged
};
// "PUT k03 on s2 by c1 = w1-17 [12.345s..12.350s] 201 v=...-..."
std::string describe(const Op& op);

// One KV request with a deadline for all of it (connect, send, answer); the answer classified.
// `start`/`end` and `client` are filled in here too.
Op kv_request(OpKind kind, const std::string& address, size_t server, const std::string& key,
              const std::string& value, std::chrono::milliseconds timeout,
              std::chrono::steady_clock::time_point epoch);

class History {
 public:
  explicit History(std::chrono::steady_clock::time_point epoch) : epoch_(epoch) {}
  std::chrono::steady_clock::time_point epoch() const { return epoch_; }
  double seconds_now() const;
  // Thread-safe; returns the op's index.
  long record(Op op);
  std::vector<Op> snapshot() const;

 private:
  const std::chrono::steady_clock::time_point epoch_;
  mutable std::mutex mutex_;
  std::vector<Op> ops_;
};

}  // namespace harness

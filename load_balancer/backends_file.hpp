// The --backends-file: one backend a line, "ADDR [weight=N]" (e.g. "10.0.0.2:8080 weight=3"),
// '#' starts a comment, blank lines are skipped. Read at start-up and again on SIGHUP, when the
// balancer applies the difference to the running pool (see diff_backends).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "load_balancer/backend_spec.hpp"

namespace lb {

// One "ADDR [weight=N]" (also the body of POST /backends on the admin endpoint). Errors name
// the bad part: "weight=0: weight must be 1..256", "127.0.0.1:80 x: unexpected 'x'".
common::Result<BackendSpec> parse_backend_line(std::string_view line);

// The whole file's text; `file` names it in errors: "backends.txt:3: ...". Refuses an address
// listed twice (naming both lines). An empty file is a valid empty list.
common::Result<std::vector<BackendSpec>> parse_backends_file(std::string_view text,
                                                             std::string_view file);
// Reads and parses the file at `path`: "open backends.txt: No such file or directory".
common::Result<std::vector<BackendSpec>> read_backends_file(const std::string& path);

// What changed from one list of backends to the next, matched by address.
struct BackendsDiff {
  std::vector<BackendSpec> added;
  std::vector<BackendSpec> removed;
  std::vector<BackendSpec> reweighed;  // as in `after`
  bool empty() const { return added.empty() && removed.empty() && reweighed.empty(); }
};
BackendsDiff diff_backends(const std::vector<BackendSpec>& before,
                           const std::vector<BackendSpec>& after);

}  // namespace lb

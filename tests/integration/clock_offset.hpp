// Wrong clocks for chosen servers, through libfaketime (Debian package faketime) preloaded into
// the server, so its wall clock runs a fixed number of seconds ahead or behind.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace harness {

// The environment ("NAME=value") that starts a process `seconds` off the true clock. The
// monotonic clock stays true (timeouts keep their length). Under AddressSanitizer the preloaded
// library comes before the ASan runtime, which ASan refuses unless verify_asan_link_order=0; the
// option is appended to the inherited ASAN_OPTIONS (harmless in other builds).
std::vector<std::string> clock_offset_env(int seconds);

// Whether an offset really reaches this build's web_server: starts one under
// clock_offset_env(+3) and reads the offset back from the version of a write. nullopt when it
// works, else why not (no libfaketime, the server would not start under it, the clock stayed
// true), so that the caller can say it runs without offsets.
std::optional<std::string> clock_offset_problem();

}  // namespace harness

// What --version prints: the project version from CMakeLists.txt and the git commit the
// executable was built from, both baked in at build time (cmake/version.cmake).
#pragma once

#include <string>
#include <string_view>

namespace common {

std::string_view version();  // "0.1.0"
std::string_view commit();   // "abc1234", or "unknown" when built outside a git checkout

// "load_balancer 0.1.0 (commit abc1234)"
std::string version_line(std::string_view program);

}  // namespace common

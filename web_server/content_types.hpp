// The Content-Type values that both the routes and the KV API send, spelled once so that the two
// cannot drift apart.
#pragma once

#include <string_view>

namespace web {

inline constexpr std::string_view kText = "text/plain; charset=utf-8";
inline constexpr std::string_view kJson = "application/json";

}  // namespace web

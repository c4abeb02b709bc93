// The parts of a request target that routing needs.
#pragma once

#include <string_view>

namespace web {

// The path of a request target: origin-form up to '?', or the path of an absolute-form target
// ("http://host/a?b" -> "/a"). Empty for other forms ("*", "host:443").
std::string_view path_of(std::string_view target);

}  // namespace web

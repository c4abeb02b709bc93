#include "web_server/request_target.hpp"

namespace web {

std::string_view path_of(std::string_view target) {
  if (target.empty()) return {};
  if (target.front() != '/') {
    const size_t scheme = target.find("://");
    if (scheme == std::string_view::npos) return {};
    const size_t slash = target.find('/', scheme + 3);
    if (slash == std::string_view::npos) return "/";  // "http://host" names the root
    target.remove_prefix(slash);
  }
  const size_t query = target.find_first_of("?#");
  return query == std::string_view::npos ? target : target.substr(0, query);
}

}  // namespace web

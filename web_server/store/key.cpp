#include <string_view>

#include "web_server/store/store.hpp"

namespace web::store {

namespace {

bool is_key_char(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("._~:@!$'()*+,;=-/").find(c) != std::string_view::npos;
}

}  // namespace

bool valid_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyBytes) return false;
  for (const char c : key) {
    if (!is_key_char(c)) return false;
  }
  // Segments between slashes: none empty (leading, trailing or double '/'), none "." or "..",
  // so a key never reads as a relative path step in a URL.
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    const std::string_view segment = key.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace web::store

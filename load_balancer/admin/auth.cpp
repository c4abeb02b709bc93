#include "load_balancer/admin/auth.hpp"

#include <cerrno>
#include <fstream>
#include <sstream>

#include "load_balancer/admin/admin_http.hpp"

namespace lb {

common::Result<std::string> read_token_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return common::sys_error("read " + path, errno);
  std::ostringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  constexpr std::string_view kSpaces = " \t\r\n";
  token.erase(0, token.find_first_not_of(kSpaces));
  token.erase(token.find_last_not_of(kSpaces) + 1);
  if (token.empty()) return common::invalid_value(path, "empty token");
  return token;
}

bool token_matches(std::string_view given, std::string_view token) {
  unsigned char diff = given.size() == token.size() ? 0 : 1;
  for (size_t i = 0; i < token.size(); ++i) {
    const char other = i < given.size() ? given[i] : '\0';
    diff = static_cast<unsigned char>(diff | (token[i] ^ other));
  }
  return diff == 0;
}

bool authorized(std::string_view token, std::string_view authorization, std::string_view query,
                bool query_allowed) {
  if (token.empty()) return true;
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.substr(0, kBearer.size()) == kBearer &&
      token_matches(authorization.substr(kBearer.size()), token)) {
    return true;
  }
  if (!query_allowed) return false;
  const auto given = query_value(query, "token");
  return given && token_matches(*given, token);
}

}  // namespace lb

#include "web_server/kv_query.hpp"

#include <charconv>
#include <optional>

#include "web_server/static_files.hpp"
#include "web_server/store/store.hpp"

namespace web {

namespace {

std::optional<size_t> parse_limit(std::string_view text) {
  size_t value = 0;
  const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || err != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  if (value == 0 || value > kMaxListLimit) return std::nullopt;
  return value;
}

// A prefix some valid key starts with: a valid key itself, or one once a character is added
// ("a/" is no key, "a/x" is). Anything else could never match, so it is taken for a mistake.
bool valid_prefix(const std::string& prefix) {
  return prefix.empty() || store::valid_key(prefix) || store::valid_key(prefix + "x");
}

// Applies one decoded "name=value" pair; returns why it is refused, or "".
std::string apply(std::string_view name, std::string value, ListQuery& query, bool& seen_prefix,
                  bool& seen_limit) {
  if (name == "prefix") {
    if (seen_prefix) return "prefix: given more than once";
    seen_prefix = true;
    if (!valid_prefix(value)) return "prefix: no valid key starts with it";
    query.prefix = std::move(value);
  } else if (name == "limit") {
    if (seen_limit) return "limit: given more than once";
    seen_limit = true;
    const auto limit = parse_limit(value);
    if (!limit) return "limit: expected a whole number from 1 to " + std::to_string(kMaxListLimit);
    query.limit = *limit;
  }
  return {};
}

}  // namespace

std::string_view query_of(std::string_view target) {
  const size_t mark = target.find('?');
  if (mark == std::string_view::npos) return {};
  const std::string_view query = target.substr(mark + 1);
  return query.substr(0, query.find('#'));
}

std::variant<ListQuery, std::string> parse_list_query(std::string_view query) {
  ListQuery result;
  bool seen_prefix = false;
  bool seen_limit = false;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string name;
    std::string value;
    if (!percent_decode(pair.substr(0, eq), name) ||
        (eq != std::string_view::npos && !percent_decode(pair.substr(eq + 1), value))) {
      return "query: malformed percent-encoding in '" + std::string(pair) + "'";
    }
    std::string why = apply(name, std::move(value), result, seen_prefix, seen_limit);
    if (!why.empty()) return why;
  }
  return result;
}

}  // namespace web

// The query of GET /kv: "prefix=P&limit=N", both optional, percent-decoded strictly ('+' stays
// '+': keys may contain it). A pure function over the request target.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

namespace web {

inline constexpr size_t kDefaultListLimit = 100;
inline constexpr size_t kMaxListLimit = 1000;

struct ListQuery {
  std::string prefix;  // "" lists every key
  size_t limit = kDefaultListLimit;
};

// The part of a request target after '?' and before '#', or "" when it has none.
std::string_view query_of(std::string_view target);

// The query, or why it is refused (a 400): a malformed escape, a repeated parameter, a limit
// that is not a decimal number from 1 to kMaxListLimit, or a prefix that no valid key can start
// with. Other parameters are ignored (e.g. a cache-busting "_=123").
std::variant<ListQuery, std::string> parse_list_query(std::string_view query);

}  // namespace web

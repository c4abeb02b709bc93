#include "web_server/kv_query.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace web {
namespace {

struct QueryCase {
  const char* name;
  std::string query;
  bool ok;
  std::string prefix = {};
  size_t limit = kDefaultListLimit;
};
void PrintTo(const QueryCase& c, std::ostream* os) { *os << c.name; }

const QueryCase kQueryCases[] = {
    {"Empty", "", true},
    {"Prefix", "prefix=users/", true, "users/"},
    {"Limit", "limit=5", true, "", 5},
    {"Both", "prefix=a&limit=1000", true, "a", 1000},
    {"EscapedPrefix", "prefix=a%2Fb%3A", true, "a/b:"},
    {"PlusStaysPlus", "prefix=a+b", true, "a+b"},
    {"EscapedName", "%70refix=a", true, "a"},
    {"EmptyPairsSkipped", "&&prefix=a&", true, "a"},
    {"OtherParametersIgnored", "_=123&prefix=a", true, "a"},
    {"EmptyPrefix", "prefix=", true, ""},
    {"NameWithoutValue", "prefix", true, ""},
    {"DotPrefix", "prefix=a/.", true, "a/."},
    {"LimitZero", "limit=0", false},
    {"LimitTooHigh", "limit=1001", false},
    {"LimitNegative", "limit=-1", false},
    {"LimitSigned", "limit=+5", false},
    {"LimitNotANumber", "limit=ten", false},
    {"LimitTrailing", "limit=5x", false},
    {"LimitEmpty", "limit=", false},
    {"LimitHuge", "limit=99999999999999999999999", false},
    {"LimitTwice", "limit=1&limit=2", false},
    {"PrefixTwice", "prefix=a&prefix=b", false},
    {"TruncatedEscape", "prefix=a%2", false},
    {"BadEscape", "prefix=%zz", false},
    {"PrefixLeadingSlash", "prefix=/a", false},
    {"PrefixDoubleSlash", "prefix=a//", false},
    {"PrefixSpace", "prefix=a%20b", false},
    {"PrefixNul", "prefix=a%00", false},
    {"PrefixNotUtf8", "prefix=%ff", false},
    {"PrefixTooLong", "prefix=" + std::string(257, 'a'), false},
};

class ListQueryTest : public testing::TestWithParam<QueryCase> {};

TEST_P(ListQueryTest, Parses) {
  const QueryCase& c = GetParam();
  const auto parsed = parse_list_query(c.query);
  ASSERT_EQ(std::holds_alternative<ListQuery>(parsed), c.ok)
      << (c.ok ? std::get<std::string>(parsed) : "accepted");
  if (!c.ok) {
    EXPECT_FALSE(std::get<std::string>(parsed).empty());
    return;
  }
  EXPECT_EQ(std::get<ListQuery>(parsed).prefix, c.prefix);
  EXPECT_EQ(std::get<ListQuery>(parsed).limit, c.limit);
}

INSTANTIATE_TEST_SUITE_P(Table, ListQueryTest, testing::ValuesIn(kQueryCases),
                         [](const testing::TestParamInfo<QueryCase>& row) {
                           return std::string(row.param.name);
                         });

TEST(QueryOfTest, TakesThePartAfterTheQuestionMark) {
  EXPECT_EQ(query_of("/kv?prefix=a&limit=2"), "prefix=a&limit=2");
  EXPECT_EQ(query_of("/kv?prefix=a#frag"), "prefix=a");
  EXPECT_EQ(query_of("/kv"), "");
  EXPECT_EQ(query_of("/kv?"), "");
}

}  // namespace
}  // namespace web

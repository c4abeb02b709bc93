#include "load_balancer/backend_spec.hpp"

#include <gtest/gtest.h>

#include <string>

namespace lb {
namespace {

struct SpecCase {
  const char* name;
  const char* text;
  bool ok;
  const char* expected;  // "address weight" when ok, else a part of the error message
};

const SpecCase kSpecCases[] = {
    {"HostPort", "127.0.0.1:8081", true, "127.0.0.1:8081 1"},
    {"Weight", "127.0.0.1:8081@3", true, "127.0.0.1:8081 3"},
    {"WeightOne", "10.0.0.2:80@1", true, "10.0.0.2:80 1"},
    {"MaxWeight", "10.0.0.2:80@256", true, "10.0.0.2:80 256"},
    {"Ipv6", "[::1]:9000@2", true, "[::1]:9000 2"},
    {"PortOutOfRange", "1.2.3.4:99999", false, "1.2.3.4:99999: port out of range"},
    {"PortZero", "127.0.0.1:0", false, "127.0.0.1:0: port 0"},
    {"MissingPort", "127.0.0.1", false, "missing ':port'"},
    {"EmptyHost", ":8080", false, "empty host"},
    {"WeightZero", "127.0.0.1:8081@0", false, "127.0.0.1:8081@0: weight must be 1..256"},
    {"WeightTooLarge", "127.0.0.1:8081@257", false, "weight must be 1..256"},
    {"WeightHuge", "127.0.0.1:8081@99999999999", false, "weight must be 1..256"},
    {"WeightEmpty", "127.0.0.1:8081@", false, "weight '' is not a number"},
    {"WeightNegative", "127.0.0.1:8081@-1", false, "weight '-1' is not a number"},
    {"WeightWithJunk", "127.0.0.1:8081@3x", false, "weight '3x' is not a number"},
    {"WeightTwice", "127.0.0.1:8081@2@3", false, "weight '2@3' is not a number"},
    {"Empty", "", false, "empty address"},
};

class BackendSpecTable : public testing::TestWithParam<SpecCase> {};

TEST_P(BackendSpecTable, ParsesOrNamesTheProblem) {
  const SpecCase& c = GetParam();
  const auto spec = parse_backend_spec(c.text);
  ASSERT_EQ(spec.ok(), c.ok) << (spec ? spec->name : spec.error().message);
  if (c.ok) {
    EXPECT_EQ(spec->address.to_string() + " " + std::to_string(spec->weight), c.expected);
    EXPECT_EQ(spec->name, spec->address.to_string());
  } else {
    EXPECT_NE(spec.error().message.find(c.expected), std::string::npos) << spec.error().message;
    EXPECT_EQ(spec.error().code, common::Errc::invalid_argument);
  }
}

INSTANTIATE_TEST_SUITE_P(BackendSpecTest, BackendSpecTable, testing::ValuesIn(kSpecCases),
                         [](const testing::TestParamInfo<SpecCase>& param) {
                           return param.param.name;
                         });

TEST(BackendSpecTest, ListKeepsOrderAndWeights) {
  const auto list = parse_backend_list("127.0.0.1:8081,127.0.0.1:8082@5,[::1]:8083");
  ASSERT_TRUE(list.ok()) << list.error().message;
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].name, "127.0.0.1:8081");
  EXPECT_EQ((*list)[1].name, "127.0.0.1:8082");
  EXPECT_EQ((*list)[1].weight, 5u);
  EXPECT_EQ((*list)[2].name, "[::1]:8083");
  EXPECT_EQ((*list)[2].address.port(), 8083);
}

struct ListCase {
  const char* name;
  const char* text;
  const char* error;  // a part of the message
};

const ListCase kBadLists[] = {
    {"Empty", "", "empty backend list"},
    {"EmptyItem", "127.0.0.1:8081,,127.0.0.1:8082", "empty item"},
    {"TrailingComma", "127.0.0.1:8081,", "empty item"},
    {"LeadingComma", ",127.0.0.1:8081", "empty item"},
    {"BadItemNamed", "127.0.0.1:8081,127.0.0.1:99999", "127.0.0.1:99999: port out of range"},
    {"Repeated", "127.0.0.1:8081,127.0.0.1:8081@2", "127.0.0.1:8081@2: listed twice"},
};

class BackendListTable : public testing::TestWithParam<ListCase> {};

TEST_P(BackendListTable, RefusesWithAReason) {
  const auto list = parse_backend_list(GetParam().text);
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.error().message.find(GetParam().error), std::string::npos) << list.error().message;
}

INSTANTIATE_TEST_SUITE_P(BackendSpecTest, BackendListTable, testing::ValuesIn(kBadLists),
                         [](const testing::TestParamInfo<ListCase>& param) {
                           return param.param.name;
                         });

}  // namespace
}  // namespace lb

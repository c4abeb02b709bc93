#include "web_server/kv_json.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace web {
namespace {

TEST(EntryJsonTest, TextValueIsAString) {
  const auto json = nlohmann::json::parse(entry_json("k", "v\"\n\u00e9", {5, 0xab}));
  EXPECT_EQ(json["key"], "k");
  EXPECT_EQ(json["value"], "v\"\n\u00e9");
  EXPECT_EQ(json["version"], "5-00000000000000ab");
  EXPECT_FALSE(json.contains("value_base64"));
}

TEST(EntryJsonTest, InvalidUtf8GoesAsBase64) {
  const auto json = nlohmann::json::parse(entry_json("k", "\xc3\x28", {1, 1}));
  EXPECT_EQ(json["value_base64"], "wyg=");
  EXPECT_FALSE(json.contains("value"));
}

TEST(EntryJsonTest, DeleteHasANullValue) {
  const auto json = nlohmann::json::parse(entry_json("k", std::nullopt, {1, 1}));
  EXPECT_TRUE(json["value"].is_null());
}

}  // namespace
}  // namespace web

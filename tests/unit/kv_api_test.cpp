#include "web_server/kv_api.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "tests/unit/temp_dir.hpp"
#include "web_server/request_target.hpp"
#include "web_server/store/version.hpp"

namespace web {
namespace {

// A Quorum whose answers the test sets, counting what it was asked.
class FakeQuorum : public replication::Quorum {
 public:
  std::optional<std::string> refuse_write() const override { return refusal; }
  bool await_replicated(const store::Change& change) override {
    awaited.push_back(change.key);
    return replicated;
  }
  std::string status_json() const override { return "{\"fake\":true}"; }

  std::optional<std::string> refusal;
  bool replicated = true;
  std::vector<std::string> awaited;
};

// The value of a header line in Response::headers, or "" when absent.
std::string header(const Response& response, std::string_view name) {
  const std::string prefix = std::string(name) + ": ";
  const size_t at = response.headers.find(prefix);
  if (at == std::string::npos) return {};
  const size_t start = at + prefix.size();
  return response.headers.substr(start, response.headers.find("\r\n", start) - start);
}

constexpr std::string_view kZero = "0-0000000000000000";

class KvApiTest : public testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::Store::open({(dir_.path() / "store.db").string()});
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
  }
  KvApi& api() {
    if (!api_) api_.emplace(*store_, quorum_ ? &*quorum_ : nullptr);
    return *api_;
  }
  Response call(std::string_view method, std::string_view target, std::string_view body = {}) {
    return api().answer(method, web::path_of(target), target, body);
  }
  // Checks that both version headers are there and agree; returns the version.
  static std::string version_of(const Response& response) {
    const std::string version = header(response, "X-Version");
    EXPECT_TRUE(store::parse_version(version)) << "X-Version: " << version;
    EXPECT_EQ(header(response, "ETag"), "\"" + version + "\"");
    return version;
  }

  test_support::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::optional<FakeQuorum> quorum_;
  std::optional<KvApi> api_;
};

// ---- Keys: a table of targets for GET on an empty store ----

struct KeyCase {
  const char* name;
  std::string target;
  int status;  // 404: a valid key (absent); 400: refused
};
void PrintTo(const KeyCase& c, std::ostream* os) { *os << c.name; }

const KeyCase kKeyCases[] = {
    {"Plain", "/kv/a", 404},
    {"EveryAllowedCharacter", "/kv/AZaz09._~:@!$'()*+,;=-", 404},
    {"Segments", "/kv/users/42/name", 404},
    {"Longest", "/kv/" + std::string(256, 'k'), 404},
    {"QueryIgnored", "/kv/a?x=1", 404},
    {"Empty", "/kv/", 400},
    {"TooLong", "/kv/" + std::string(257, 'k'), 400},
    {"PercentEscape", "/kv/%61", 400},
    {"Space", "/kv/a%20b", 400},
    {"LeadingSlash", "/kv//a", 400},
    {"TrailingSlash", "/kv/a/", 400},
    {"DoubleSlash", "/kv/a//b", 400},
    {"DotSegment", "/kv/a/./b", 400},
    {"DotDotSegment", "/kv/../a", 400},
    {"Quote", "/kv/a\"b", 400},
    {"Backslash", "/kv/a\\b", 400},
};

class KvKeyTest : public KvApiTest, public testing::WithParamInterface<KeyCase> {};

TEST_P(KvKeyTest, ValidatesTheKeyInThePath) {
  const Response response = call("GET", GetParam().target);
  EXPECT_EQ(response.status, GetParam().status) << response.owned_body;
  EXPECT_EQ(version_of(response), kZero);
}

INSTANTIATE_TEST_SUITE_P(Table, KvKeyTest, testing::ValuesIn(kKeyCases),
                         [](const testing::TestParamInfo<KeyCase>& row) {
                           return std::string(row.param.name);
                         });

// ---- Statuses and versions ----

TEST_F(KvApiTest, PutCreatesThenReplacesAndGetReturnsTheValueAndItsVersion) {
  const Response created = call("PUT", "/kv/a", "one");
  EXPECT_EQ(created.status, 201);
  const Response replaced = call("PUT", "/kv/a", "two");
  EXPECT_EQ(replaced.status, 200);
  EXPECT_LT(*store::parse_version(version_of(created)),
            *store::parse_version(version_of(replaced)));
  const Response got = call("GET", "/kv/a");
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.payload(), "two");
  EXPECT_EQ(got.content_type, "application/octet-stream");
  EXPECT_EQ(version_of(got), version_of(replaced));
}

TEST_F(KvApiTest, DeleteAnswers204ThenTheKeyIsGoneAndAPutCreatesItAgain) {
  ASSERT_EQ(call("PUT", "/kv/a", "one").status, 201);
  const Response deleted = call("DELETE", "/kv/a");
  EXPECT_EQ(deleted.status, 204);
  EXPECT_TRUE(deleted.payload().empty());
  EXPECT_NE(version_of(deleted), kZero);
  EXPECT_EQ(call("GET", "/kv/a").status, 404);
  const Response again = call("DELETE", "/kv/a");
  EXPECT_EQ(again.status, 404);
  EXPECT_EQ(version_of(again), kZero);
  EXPECT_EQ(call("PUT", "/kv/a", "back").status, 201);
}

TEST_F(KvApiTest, EmptyAndBinaryValuesRoundTrip) {
  ASSERT_EQ(call("PUT", "/kv/empty", "").status, 201);
  EXPECT_EQ(call("GET", "/kv/empty").payload(), "");
  const std::string binary("\0\xff\x01\n", 4);
  ASSERT_EQ(call("PUT", "/kv/bin", binary).status, 201);
  EXPECT_EQ(call("GET", "/kv/bin").payload(), binary);
}

TEST_F(KvApiTest, ValueOverTheLimitIs413AndNotStored) {
  const std::string big(store::kMaxValueBytes + 1, 'v');
  EXPECT_EQ(call("PUT", "/kv/big", big).status, 413);
  EXPECT_EQ(call("GET", "/kv/big").status, 404);
  EXPECT_EQ(call("PUT", "/kv/big", big.substr(1)).status, 201);
}

// ---- Lists ----

TEST_F(KvApiTest, ListsByPrefixInKeyOrderWithTheHighestVersion) {
  call("PUT", "/kv/b/2", "x");
  call("PUT", "/kv/a", "y");
  const std::string last = version_of(call("PUT", "/kv/b/1", "z"));
  const Response response = call("GET", "/kv?prefix=b/");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json");
  const auto json = nlohmann::json::parse(response.payload());
  ASSERT_EQ(json["items"].size(), 2u);
  EXPECT_EQ(json["items"][0]["key"], "b/1");
  EXPECT_EQ(json["items"][0]["value"], "z");
  EXPECT_EQ(json["items"][0]["version"], last);
  EXPECT_EQ(json["items"][1]["key"], "b/2");
  EXPECT_EQ(json["truncated"], false);
  EXPECT_EQ(version_of(response), last);
}

TEST_F(KvApiTest, ListHonoursTheLimitAndSaysWhenTruncated) {
  for (const char* key : {"/kv/a", "/kv/b", "/kv/c"}) call("PUT", key, "v");
  const auto two = nlohmann::json::parse(call("GET", "/kv?limit=2").payload());
  EXPECT_EQ(two["items"].size(), 2u);
  EXPECT_EQ(two["truncated"], true);
  const auto three = nlohmann::json::parse(call("GET", "/kv?limit=3").payload());
  EXPECT_EQ(three["items"].size(), 3u);
  EXPECT_EQ(three["truncated"], false);
}

TEST_F(KvApiTest, ListGivesValuesThatAreNotUtf8AsBase64) {
  call("PUT", "/kv/bin", std::string("\xff\x00\x01", 3));
  const auto json = nlohmann::json::parse(call("GET", "/kv").payload());
  EXPECT_EQ(json["items"][0]["value_base64"], "/wAB");
  EXPECT_FALSE(json["items"][0].contains("value"));
}

TEST_F(KvApiTest, EmptyListHasVersionZero) {
  const Response response = call("GET", "/kv?prefix=none");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(nlohmann::json::parse(response.payload())["items"].size(), 0u);
  EXPECT_EQ(version_of(response), kZero);
}

TEST_F(KvApiTest, BadListQueriesAre400) {
  for (const char* target : {"/kv?limit=0", "/kv?limit=1001", "/kv?limit=x", "/kv?prefix=%zz",
                             "/kv?prefix=/a", "/kv?limit=1&limit=2"}) {
    EXPECT_EQ(call("GET", target).status, 400) << target;
  }
}

// ---- Replication: --sync-replicas through the Quorum ----

TEST_F(KvApiTest, RefusedWriteIs503WithRetryAfterAndStoresNothing) {
  quorum_.emplace();
  quorum_->refusal = "1 of 2 required peers connected";
  const Response response = call("PUT", "/kv/a", "v");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(header(response, "Retry-After"), "1");
  EXPECT_NE(response.owned_body.find("1 of 2 required peers connected"), std::string::npos);
  EXPECT_EQ(call("DELETE", "/kv/a").status, 503);
  EXPECT_TRUE(quorum_->awaited.empty());
  EXPECT_FALSE(store_->get("a"));
}

TEST_F(KvApiTest, UnreplicatedWriteIs504ButStoredLocallyWithItsVersion) {
  quorum_.emplace();
  quorum_->replicated = false;
  const Response response = call("PUT", "/kv/a", "v");
  EXPECT_EQ(response.status, 504);
  EXPECT_NE(response.owned_body.find("stored on this server"), std::string::npos);
  const auto entry = store_->get("a");
  ASSERT_TRUE(entry);
  EXPECT_EQ(version_of(response), store::to_string(entry->version));
  EXPECT_EQ(quorum_->awaited, std::vector<std::string>{"a"});
}

TEST_F(KvApiTest, ReplicatedWritesAnswerAsUsual) {
  quorum_.emplace();
  EXPECT_EQ(call("PUT", "/kv/a", "v").status, 201);
  EXPECT_EQ(call("DELETE", "/kv/a").status, 204);
  EXPECT_EQ(quorum_->awaited, (std::vector<std::string>{"a", "a"}));
}

TEST_F(KvApiTest, ReplicationStatusComesFromTheQuorum) {
  quorum_.emplace();
  const Response response = call("GET", "/replication");
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.payload(), "{\"fake\":true}");
}

TEST_F(KvApiTest, ReplicationStatusWithoutAQuorumNamesTheStoreAndNoPeers) {
  const auto json = nlohmann::json::parse(call("GET", "/replication").payload());
  const std::string id = json["id"];
  EXPECT_EQ("0-" + id, store::to_string(store::Version{0, store_->id()}));
  EXPECT_TRUE(json["peers"].empty());
}

// ---- Methods ----

TEST(KvApiMethodsTest, EachPathAllowsItsMethods) {
  EXPECT_EQ(KvApi::allowed_methods("/kv"), "GET, HEAD");
  EXPECT_EQ(KvApi::allowed_methods("/replication"), "GET, HEAD");
  EXPECT_EQ(KvApi::allowed_methods("/kv/a"), "GET, HEAD, PUT, DELETE");
  EXPECT_EQ(KvApi::allowed_methods("/kvx"), "");
  EXPECT_EQ(KvApi::allowed_methods("/"), "");
  EXPECT_TRUE(KvApi::allows("GET, HEAD, PUT, DELETE", "DELETE"));
  EXPECT_TRUE(KvApi::allows("GET, HEAD", "GET"));
  EXPECT_FALSE(KvApi::allows("GET, HEAD", "PUT"));
  EXPECT_FALSE(KvApi::allows("GET, HEAD", "GE"));
  EXPECT_FALSE(KvApi::allows("GET, HEAD", ""));
}

}  // namespace
}  // namespace web

#include "web_server/router.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "tests/unit/temp_dir.hpp"
#include "web_server/kv_api.hpp"
#include "web_server/live/hub.hpp"

namespace web {
namespace {

using Kind = Response::Kind;

// ---- Routes without a static folder: a table of named cases ----

struct RouteCase {
  const char* name;
  std::string_view method;
  std::string_view target;
  int status;
  Kind kind = Kind::fixed;
  std::string_view allow = {};
};
void PrintTo(const RouteCase& c, std::ostream* os) { *os << c.name; }
std::string case_name(const testing::TestParamInfo<RouteCase>& row) { return row.param.name; }

const RouteCase kRouteCases[] = {
    {"Landing", "GET", "/", 200},
    {"LandingHead", "HEAD", "/", 200},
    {"Health", "GET", "/health", 200},
    {"HealthHead", "HEAD", "/health", 200},
    {"HealthWithQuery", "GET", "/health?probe=1", 200},
    {"HealthAbsoluteForm", "GET", "http://example.org/health", 200},
    {"AbsoluteFormRoot", "GET", "http://example.org", 200},
    {"Whoami", "GET", "/whoami", 200},
    {"WebSocket", "GET", "/ws", 200, Kind::websocket},
    {"WebSocketHead", "HEAD", "/ws", 405, Kind::fixed, "GET"},
    {"PostHealth", "POST", "/health", 405, Kind::fixed, "GET, HEAD"},
    {"DeleteRoot", "DELETE", "/", 405, Kind::fixed, "GET, HEAD"},
    {"PutWhoami", "PUT", "/whoami", 405, Kind::fixed, "GET, HEAD"},
    {"UnknownPath", "GET", "/nope", 404},
    {"UnknownPathOtherMethod", "POST", "/nope", 404},
    {"HealthPrefix", "GET", "/healthz", 404},
    {"Asterisk", "OPTIONS", "*", 404},
    {"AuthorityForm", "CONNECT", "example.org:443", 404},
};

class RouterTest : public testing::TestWithParam<RouteCase> {};

TEST_P(RouterTest, Routes) {
  const Router router("s1", std::nullopt);
  const RouteCase& c = GetParam();
  const Response response = router.route(c.method, c.target);
  EXPECT_EQ(response.status, c.status);
  EXPECT_EQ(response.kind, c.kind);
  EXPECT_EQ(response.allow, c.allow);
  if (c.kind == Kind::fixed) {
    EXPECT_FALSE(response.body.empty());
    EXPECT_FALSE(response.content_type.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Table, RouterTest, testing::ValuesIn(kRouteCases), case_name);

TEST(RouterBodyTest, HealthSaysOk) {
  const Router router("s1", std::nullopt);
  const Response response = router.route("GET", "/health");
  EXPECT_EQ(response.body, "ok\n");
  EXPECT_EQ(response.content_type, "text/plain; charset=utf-8");
}

TEST(RouterBodyTest, WhoamiIsJsonWithTheNameEscaped) {
  const Router router("s\"1\\", std::nullopt);
  const Response response = router.route("GET", "/whoami");
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, "{\"name\":\"s\\\"1\\\\\"}\n");
}

TEST(RouterBodyTest, LandingPageNamesTheServerHtmlEscaped) {
  const Router router("<s1>", std::nullopt);
  const Response response = router.route("GET", "/");
  EXPECT_EQ(response.content_type, "text/html; charset=utf-8");
  EXPECT_NE(response.body.find("&lt;s1&gt;"), std::string_view::npos);
  EXPECT_EQ(response.body.find("<s1>"), std::string_view::npos);
}

TEST(RouterBodyTest, ErrorsCarryTheStatusText) {
  const Router router("s1", std::nullopt);
  EXPECT_EQ(router.route("GET", "/nope").body, "Not Found");
  EXPECT_EQ(error_response(400).body, "Bad Request");
}

// ---- Routes with a static folder ----

class RouterWithFilesTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_.write("www/style.css", "body{}");
    dir_.write("www/health", "a file named like a route");
    dir_.write("secret.txt", "no");
  }
  Router router(bool with_index) {
    if (with_index) dir_.write("www/index.html", "<h1>app</h1>");
    auto files = StaticFiles::open((dir_.path() / "www").string());
    EXPECT_TRUE(files);
    return Router("s1", std::move(*files));
  }
  test_support::TempDir dir_;
};

TEST_F(RouterWithFilesTest, ServesFilesWithTheirContentType) {
  const Response response = router(false).route("GET", "/style.css?v=2");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.kind, Kind::file);
  EXPECT_EQ(response.content_type, "text/css; charset=utf-8");
  EXPECT_EQ(response.file.size, 6u);
}

TEST_F(RouterWithFilesTest, RootIsTheAppsIndexWhenThereIsOne) {
  EXPECT_EQ(router(true).route("GET", "/").kind, Kind::file);
}

TEST_F(RouterWithFilesTest, RootIsTheLandingPageWithoutIndex) {
  const Router r = router(false);
  const Response response = r.route("GET", "/");
  EXPECT_EQ(response.kind, Kind::fixed);
  EXPECT_NE(response.body.find("s1"), std::string_view::npos);
}

TEST_F(RouterWithFilesTest, RoutesComeBeforeFiles) {
  EXPECT_EQ(router(false).route("GET", "/health").body, "ok\n");
}

TEST_F(RouterWithFilesTest, OtherMethodsOnAFileAre405) {
  const Response response = router(false).route("POST", "/style.css");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.allow, "GET, HEAD");
}

TEST_F(RouterWithFilesTest, RefusesTraversalAndMissesWith404) {
  const Router r = router(false);
  EXPECT_EQ(r.route("GET", "/../secret.txt").status, 403);
  EXPECT_EQ(r.route("GET", "/%2e%2e/secret.txt").status, 403);
  EXPECT_EQ(r.route("GET", "/missing.css").status, 404);
}

// ---- Routes backed by the store: the KV API and /live ----

const RouteCase kServiceCases[] = {
    {"List", "GET", "/kv?prefix=a", 200, Kind::api},
    {"ListHead", "HEAD", "/kv", 200, Kind::api},
    {"ListPut", "PUT", "/kv", 405, Kind::fixed, "GET, HEAD"},
    {"KeyGet", "GET", "/kv/a", 200, Kind::api},
    {"KeyHead", "HEAD", "/kv/a", 200, Kind::api},
    {"KeyPut", "PUT", "/kv/a/b", 200, Kind::api},
    {"KeyDelete", "DELETE", "/kv/a", 200, Kind::api},
    {"KeyPost", "POST", "/kv/a", 405, Kind::fixed, "GET, HEAD, PUT, DELETE"},
    {"KeyPatch", "PATCH", "/kv/a", 405, Kind::fixed, "GET, HEAD, PUT, DELETE"},
    {"EmptyKeyIsTheApisToRefuse", "GET", "/kv/", 200, Kind::api},
    {"KeyAbsoluteForm", "PUT", "http://h/kv/a", 200, Kind::api},
    {"Replication", "GET", "/replication", 200, Kind::api},
    {"ReplicationPost", "POST", "/replication", 405, Kind::fixed, "GET, HEAD"},
    {"Live", "GET", "/live", 200, Kind::live},
    {"LiveHead", "HEAD", "/live", 405, Kind::fixed, "GET"},
    {"NotTheApi", "GET", "/kvx", 404},
    {"StaticRoutesStay", "GET", "/health", 200},
};

class RouterServicesTest : public testing::TestWithParam<RouteCase> {
 protected:
  void SetUp() override {
    auto opened = store::Store::open({(dir_.path() / "store.db").string()});
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
    kv_.emplace(*store_, nullptr);
  }
  test_support::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::optional<KvApi> kv_;
  live::Hub hub_;
};

TEST_P(RouterServicesTest, Routes) {
  const Router router("s1", std::nullopt, {&*kv_, &hub_});
  const RouteCase& c = GetParam();
  const Response response = router.route(c.method, c.target);
  EXPECT_EQ(response.status, c.status);
  EXPECT_EQ(response.kind, c.kind);
  EXPECT_EQ(response.allow, c.allow);
}

INSTANTIATE_TEST_SUITE_P(Table, RouterServicesTest, testing::ValuesIn(kServiceCases), case_name);

TEST(RouterWithoutServicesTest, StoreRoutesAreUnknown) {
  const Router router("s1", std::nullopt);
  EXPECT_EQ(router.route("GET", "/kv").status, 404);
  EXPECT_EQ(router.route("PUT", "/kv/a").status, 404);
  EXPECT_EQ(router.route("GET", "/live").status, 404);
  EXPECT_EQ(router.route("GET", "/replication").status, 404);
}

TEST_F(RouterWithFilesTest, StoreRoutesComeBeforeFiles) {
  dir_.write("www/kv", "a file named like the API");
  auto files = StaticFiles::open((dir_.path() / "www").string());
  ASSERT_TRUE(files);
  live::Hub hub;
  const Router r("s1", std::move(*files), {nullptr, &hub});
  EXPECT_EQ(r.route("GET", "/live").kind, Kind::live);
  EXPECT_EQ(r.route("GET", "/kv").kind, Kind::file);  // without a store, /kv is just a path
}

TEST(PathOfTest, TakesThePathOfEachTargetForm) {
  EXPECT_EQ(path_of("/a/b?c=d"), "/a/b");
  EXPECT_EQ(path_of("/a#frag"), "/a");
  EXPECT_EQ(path_of("/"), "/");
  EXPECT_EQ(path_of("http://h:8080/x?y"), "/x");
  EXPECT_EQ(path_of("https://h"), "/");
  EXPECT_EQ(path_of("*"), "");
  EXPECT_EQ(path_of("h:443"), "");
  EXPECT_EQ(path_of(""), "");
}

}  // namespace
}  // namespace web

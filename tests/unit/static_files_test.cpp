#include "web_server/static_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <ostream>
#include <string>

#include "tests/unit/temp_dir.hpp"

namespace web {
namespace {

namespace fs = std::filesystem;

// The folder served (www/) next to a file that must never be served (secret.txt).
class StaticFilesTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_.write("secret.txt", "top secret");
    dir_.write("www/index.html", "<h1>home</h1>");
    dir_.write("www/style.css", "body{}");
    dir_.write("www/app.js", "go()");
    dir_.write("www/a b.txt", "spaced");
    dir_.write("www/sub/index.html", "sub home");
    dir_.write("www/sub/page.html", "page");
    dir_.write("www/.env", "KEY=1");
    fs::create_directory(www() / "empty");
    fs::create_symlink("../secret.txt", www() / "escape");
    fs::create_directory_symlink(dir_.path(), www() / "updir");
    fs::create_symlink("style.css", www() / "alias.css");
    ASSERT_EQ(::mkfifo((www() / "pipe").c_str(), 0600), 0);
    auto files = StaticFiles::open(www().string());
    ASSERT_TRUE(files) << files.error().message;
    files_.emplace(std::move(*files));
  }

  fs::path www() const { return dir_.path() / "www"; }

  // The content of the file found for path, or the outcome's name.
  std::string served(std::string_view path) const {
    FileLookup lookup = files_->find(path);
    if (lookup.outcome == Lookup::forbidden) return "<forbidden>";
    if (lookup.outcome == Lookup::not_found) return "<not found>";
    std::string content(static_cast<size_t>(lookup.file.size), '\0');
    auto got = read_file_at(lookup.file.fd, content.data(), content.size(), 0);
    EXPECT_TRUE(got && *got == content.size());
    return content;
  }

  test_support::TempDir dir_;
  std::optional<StaticFiles> files_;
};

struct PathCase {
  const char* name;
  std::string_view path;
  std::string_view served;
};
void PrintTo(const PathCase& c, std::ostream* os) { *os << c.name; }

const PathCase kPathCases[] = {
    {"Root", "/", "<h1>home</h1>"},
    {"IndexByName", "/index.html", "<h1>home</h1>"},
    {"File", "/style.css", "body{}"},
    {"FolderWithSlash", "/sub/", "sub home"},
    {"FolderWithoutSlash", "/sub", "sub home"},
    {"FileInFolder", "/sub/page.html", "page"},
    {"RepeatedSlashes", "//sub//page.html", "page"},
    {"DotSegment", "/./sub/./page.html", "page"},
    {"EncodedSpace", "/a%20b.txt", "spaced"},
    {"EncodedLetters", "/%73tyle.css", "body{}"},
    {"SymlinkInside", "/alias.css", "body{}"},
    {"Missing", "/missing.html", "<not found>"},
    {"FolderWithoutIndex", "/empty/", "<not found>"},
    {"FileAsFolder", "/style.css/x", "<not found>"},
    {"HiddenFile", "/.env", "<not found>"},
    {"Fifo", "/pipe", "<not found>"},
    {"MalformedEscape", "/%zz", "<not found>"},
    {"TruncatedEscape", "/style.css%2", "<not found>"},
    {"DotDot", "/../secret.txt", "<forbidden>"},
    {"DotDotInside", "/sub/../index.html", "<forbidden>"},
    {"EncodedDotDot", "/%2e%2e/secret.txt", "<forbidden>"},
    {"EncodedSlashDotDot", "/sub%2f..%2f..%2fsecret.txt", "<forbidden>"},
    {"Nul", "/style.css%00.png", "<forbidden>"},
    {"SymlinkOutside", "/escape", "<forbidden>"},
    {"SymlinkedFolderOutside", "/updir/secret.txt", "<forbidden>"},
};

class StaticFilesPathTest : public StaticFilesTest, public testing::WithParamInterface<PathCase> {};

TEST_P(StaticFilesPathTest, ServesOnlyWhatLiesInsideTheFolder) {
  EXPECT_EQ(served(GetParam().path), GetParam().served);
}

INSTANTIATE_TEST_SUITE_P(Table, StaticFilesPathTest, testing::ValuesIn(kPathCases),
                         [](const testing::TestParamInfo<PathCase>& row) {
                           return std::string(row.param.name);
                         });

TEST_F(StaticFilesTest, FoundFileCarriesSizeAndContentType) {
  const FileLookup lookup = files_->find("/app.js");
  ASSERT_EQ(lookup.outcome, Lookup::found);
  EXPECT_EQ(lookup.file.size, 4u);
  EXPECT_EQ(lookup.file.content_type, "text/javascript; charset=utf-8");
}

TEST(StaticFilesOpenTest, MissingFolderFailsNamingIt) {
  auto files = StaticFiles::open("/nonexistent/www");
  ASSERT_FALSE(files);
  EXPECT_NE(files.error().message.find("/nonexistent/www"), std::string::npos);
}

TEST(StaticFilesOpenTest, FileIsNotAFolder) {
  test_support::TempDir dir;
  dir.write("file", "x");
  EXPECT_FALSE(StaticFiles::open((dir.path() / "file").string()));
}

TEST(StaticFilesReadTest, ReadsFromAnOffsetAndReportsTheEnd) {
  test_support::TempDir dir;
  dir.write("www/data.bin", "0123456789");
  auto files = StaticFiles::open((dir.path() / "www").string());
  ASSERT_TRUE(files);
  const FileLookup lookup = files->find("/data.bin");
  ASSERT_EQ(lookup.outcome, Lookup::found);
  char buffer[8];
  auto got = read_file_at(lookup.file.fd, buffer, sizeof buffer, 6);
  ASSERT_TRUE(got);
  EXPECT_EQ(std::string_view(buffer, *got), "6789");
  got = read_file_at(lookup.file.fd, buffer, sizeof buffer, 10);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, 0u);
}

struct TypeCase {
  std::string_view path;
  std::string_view type;
};

TEST(ContentTypeTest, ChoosesByExtensionIgnoringCase) {
  const TypeCase cases[] = {
      {"index.html", "text/html; charset=utf-8"},
      {"INDEX.HTM", "text/html; charset=utf-8"},
      {"style.css", "text/css; charset=utf-8"},
      {"app.js", "text/javascript; charset=utf-8"},
      {"data.json", "application/json"},
      {"logo.svg", "image/svg+xml"},
      {"a/b/photo.JPG", "image/jpeg"},
      {"photo.jpeg", "image/jpeg"},
      {"icon.png", "image/png"},
      {"favicon.ico", "image/x-icon"},
      {"notes.txt", "text/plain; charset=utf-8"},
      {"module.wasm", "application/wasm"},
      {"archive.tar.gz", "application/octet-stream"},
      {"Makefile", "application/octet-stream"},
      {"dir.d/noext", "application/octet-stream"},
      {"trailingdot.", "application/octet-stream"},
  };
  for (const TypeCase& c : cases) EXPECT_EQ(content_type_for(c.path), c.type) << c.path;
}

TEST(PercentDecodeTest, DecodesEscapesAndRefusesMalformedOnes) {
  std::string out;
  EXPECT_TRUE(percent_decode("/a%20b%2Fc%2fd+e", out));
  EXPECT_EQ(out, "/a b/c/d+e");
  EXPECT_TRUE(percent_decode("%00", out));
  EXPECT_EQ(out, std::string(1, '\0'));
  EXPECT_TRUE(percent_decode("", out));
  EXPECT_EQ(out, "");
  EXPECT_FALSE(percent_decode("%", out));
  EXPECT_FALSE(percent_decode("%4", out));
  EXPECT_FALSE(percent_decode("%G0", out));
  EXPECT_FALSE(percent_decode("a%-1", out));
}

}  // namespace
}  // namespace web

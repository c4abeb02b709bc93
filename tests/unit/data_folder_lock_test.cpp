#include "web_server/store/data_folder_lock.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "tests/unit/temp_dir.hpp"

namespace web::store {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string own_pid() { return std::to_string(::getpid()); }

TEST(DataFolderLockTest, CreatesTheFolderAndWritesTheHoldersPid) {
  const test_support::TempDir dir;
  const std::string folder = (dir.path() / "data/s1").string();
  auto lock = DataFolderLock::acquire(folder);
  ASSERT_TRUE(lock) << lock.error().message;
  EXPECT_EQ(lock->folder(), folder);
  EXPECT_EQ(read_file(folder + "/LOCK"), own_pid() + "\n");
}

// flock belongs to the open file description, so a second acquire in the same process conflicts
// just as one in another process would.
TEST(DataFolderLockTest, ASecondLockOnTheFolderFailsNamingTheFolderAndTheHolder) {
  const test_support::TempDir dir;
  const std::string folder = dir.path().string();
  auto first = DataFolderLock::acquire(folder);
  ASSERT_TRUE(first) << first.error().message;
  auto second = DataFolderLock::acquire(folder);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message, "data folder " + folder + " is in use by process " + own_pid());
  EXPECT_EQ(read_file(folder + "/LOCK"), own_pid() + "\n");  // the refused one wrote nothing
}

TEST(DataFolderLockTest, TheLockIsReleasedWhenTheHolderIsDestroyed) {
  const test_support::TempDir dir;
  const std::string folder = dir.path().string();
  std::optional<DataFolderLock> first;
  auto taken = DataFolderLock::acquire(folder);
  ASSERT_TRUE(taken) << taken.error().message;
  first.emplace(std::move(*taken));
  ASSERT_FALSE(DataFolderLock::acquire(folder));
  first.reset();
  auto again = DataFolderLock::acquire(folder);
  EXPECT_TRUE(again) << again.error().message;
}

TEST(DataFolderLockTest, AMovedLockStillHoldsTheFolder) {
  const test_support::TempDir dir;
  const std::string folder = dir.path().string();
  auto taken = DataFolderLock::acquire(folder);
  ASSERT_TRUE(taken) << taken.error().message;
  const DataFolderLock moved = std::move(*taken);
  EXPECT_FALSE(DataFolderLock::acquire(folder));
}

// An earlier holder's longer PID must not show through behind the new one.
TEST(DataFolderLockTest, AStaleLockFileIsRewrittenWithThisPidOnly) {
  const test_support::TempDir dir;
  dir.write("LOCK", "123456789012\n");
  auto lock = DataFolderLock::acquire(dir.path().string());
  ASSERT_TRUE(lock) << lock.error().message;
  EXPECT_EQ(read_file(dir.path() / "LOCK"), own_pid() + "\n");
}

TEST(DataFolderLockTest, AFolderThatCannotBeCreatedIsNamedInTheError) {
  const test_support::TempDir dir;
  dir.write("file", "not a folder");
  const std::string folder = (dir.path() / "file/data").string();
  auto lock = DataFolderLock::acquire(folder);
  ASSERT_FALSE(lock);
  EXPECT_EQ(lock.error().message, "create folder " + folder + ": Not a directory");
}

TEST(DataFolderLockTest, ALockFileThatCannotBeOpenedIsNamedInTheError) {
  const test_support::TempDir dir;
  fs::create_directory(dir.path() / "LOCK");
  auto lock = DataFolderLock::acquire(dir.path().string());
  ASSERT_FALSE(lock);
  EXPECT_EQ(lock.error().message, "open " + (dir.path() / "LOCK").string() + ": Is a directory");
}

TEST(DataFolderLockTest, AnUnwritableFolderIsNamedInTheError) {
  const test_support::TempDir dir;
  const fs::path folder = dir.path() / "read-only";
  fs::create_directory(folder);
  ASSERT_EQ(::chmod(folder.c_str(), 0555), 0);
  if (::access(folder.c_str(), W_OK) == 0) GTEST_SKIP() << "permissions do not bind this user";
  auto lock = DataFolderLock::acquire(folder.string());
  ASSERT_FALSE(lock);
  EXPECT_EQ(lock.error().message, "open " + (folder / "LOCK").string() + ": Permission denied");
}

}  // namespace
}  // namespace web::store

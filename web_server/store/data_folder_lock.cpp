#include "web_server/store/data_folder_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string_view>
#include <system_error>

namespace web::store {

common::Status make_data_folder(const std::string& folder) {
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) return common::sys_error("create folder " + folder, error.value());
  return common::Ok{};
}

namespace {

common::Result<common::Fd> open_lock_file(const std::string& path) {
  int fd = -1;
  do {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return common::sys_error("open " + path, errno);
  return common::Fd(fd);
}

// The PID the holder wrote, read through our own descriptor of the same file. Empty when the
// holder has taken the lock but not written its PID yet (or the file is unreadable).
std::string holder_pid(const common::Fd& file) {
  char buffer[32];
  const ssize_t got = ::pread(file.get(), buffer, sizeof buffer - 1, 0);
  if (got <= 0) return "";
  std::string_view text(buffer, static_cast<size_t>(got));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  return std::string(text);
}

common::Error in_use(const std::string& folder, const common::Fd& file) {
  const std::string pid = holder_pid(file);
  return common::Error{common::Errc::io_error,
                       "data folder " + folder + " is in use by " +
                           (pid.empty() ? "another process" : "process " + pid)};
}

// Truncate first: a shorter PID must not leave the tail of a longer one from an earlier holder.
common::Status write_pid(const common::Fd& file, const std::string& path) {
  if (::ftruncate(file.get(), 0) != 0) return common::sys_error("ftruncate " + path, errno);
  const std::string pid = std::to_string(::getpid()) + "\n";
  ssize_t wrote = -1;
  do {
    wrote = ::pwrite(file.get(), pid.data(), pid.size(), 0);
  } while (wrote < 0 && errno == EINTR);
  if (wrote < 0) return common::sys_error("write " + path, errno);
  if (static_cast<size_t>(wrote) != pid.size()) {
    return common::Error{common::Errc::io_error, "write " + path + ": short write"};
  }
  return common::Ok{};
}

}  // namespace

common::Result<DataFolderLock> DataFolderLock::acquire(const std::string& folder) {
  if (auto made = make_data_folder(folder); !made) return made.error();
  // The LOCK file stays when the server ends: removing it would let a starting server lock a new
  // file while another still holds the old, unlinked one.
  const std::string path = folder + "/LOCK";
  auto file = open_lock_file(path);
  if (!file) return file.error();
  int locked = -1;
  do {
    locked = ::flock(file->get(), LOCK_EX | LOCK_NB);
  } while (locked != 0 && errno == EINTR);
  if (locked != 0) {
    if (errno == EWOULDBLOCK) return in_use(folder, *file);
    return common::sys_error("flock " + path, errno);
  }
  if (auto written = write_pid(*file, path); !written) return written.error();
  return DataFolderLock(folder, std::move(*file));
}

}  // namespace web::store

#include "web_server/static_files.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <optional>

namespace web {

namespace {

// The path the kernel holds for an open descriptor: symlinks and ".." already resolved.
std::optional<std::string> real_path_of(const common::Fd& fd) {
  const std::string link = "/proc/self/fd/" + std::to_string(fd.get());
  char buffer[PATH_MAX];
  const ssize_t n = ::readlink(link.c_str(), buffer, sizeof buffer);
  if (n <= 0 || static_cast<size_t>(n) == sizeof buffer) return std::nullopt;
  return std::string(buffer, static_cast<size_t>(n));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

struct TypeByExtension {
  std::string_view extension;
  std::string_view type;
};
constexpr std::array<TypeByExtension, 22> kTypes{{
    {"html", "text/html; charset=utf-8"},   {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},     {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"}, {"json", "application/json"},
    {"map", "application/json"},            {"txt", "text/plain; charset=utf-8"},
    {"xml", "application/xml"},             {"svg", "image/svg+xml"},
    {"png", "image/png"},                   {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},                 {"gif", "image/gif"},
    {"webp", "image/webp"},                 {"ico", "image/x-icon"},
    {"wasm", "application/wasm"},           {"woff", "font/woff"},
    {"woff2", "font/woff2"},                {"pdf", "application/pdf"},
    {"mp4", "video/mp4"},                   {"webm", "video/webm"},
}};

FileLookup outcome(Lookup lookup) {
  FileLookup result;
  result.outcome = lookup;
  return result;
}

}  // namespace

StaticFiles::StaticFiles(common::Fd root, std::string real_root)
    : root_(std::move(root)), real_root_(std::move(real_root)) {
  prefix_ = real_root_;
  if (prefix_.empty() || prefix_.back() != '/') prefix_ += '/';
}

common::Result<StaticFiles> StaticFiles::open(const std::string& root) {
  common::Fd fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return common::sys_error("open " + root, errno);
  auto real = real_path_of(fd);
  if (!real) return common::sys_error("readlink of " + root, errno);
  return StaticFiles(std::move(fd), std::move(*real));
}

FileLookup StaticFiles::find(std::string_view path) const {
  std::string decoded;
  if (!percent_decode(path, decoded)) return outcome(Lookup::not_found);
  if (decoded.find('\0') != std::string::npos) return outcome(Lookup::forbidden);
  std::string relative;
  size_t start = 0;
  while (start <= decoded.size()) {
    size_t end = decoded.find('/', start);
    if (end == std::string::npos) end = decoded.size();
    const std::string_view segment = std::string_view(decoded).substr(start, end - start);
    start = end + 1;
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") return outcome(Lookup::forbidden);
    if (segment.front() == '.') return outcome(Lookup::not_found);  // .git, .env and the like
    relative.append(segment);
    relative += '/';
  }
  if (relative.empty() || decoded.back() == '/') {
    relative += "index.html";
  } else {
    relative.pop_back();
  }
  return open_inside(relative, true);
}

FileLookup StaticFiles::open_inside(const std::string& relative, bool folder_index) const {
  // O_NONBLOCK so that a FIFO placed in the folder cannot block the open.
  common::Fd file(::openat(root_.get(), relative.c_str(),
                           O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!file) return outcome(errno == EACCES ? Lookup::forbidden : Lookup::not_found);
  struct stat st {};
  if (::fstat(file.get(), &st) != 0) return outcome(Lookup::not_found);
  if (S_ISDIR(st.st_mode) && folder_index) return open_inside(relative + "/index.html", false);
  if (!S_ISREG(st.st_mode)) return outcome(Lookup::not_found);
  if (!lies_inside(file)) return outcome(Lookup::forbidden);
  FileLookup result;
  result.outcome = Lookup::found;
  result.file.fd = std::move(file);
  result.file.size = static_cast<uint64_t>(st.st_size);
  result.file.content_type = content_type_for(relative);
  return result;
}

// openat follows symlinks, so the check is on where the opened file really is.
bool StaticFiles::lies_inside(const common::Fd& file) const {
  const auto real = real_path_of(file);
  return real && real->starts_with(prefix_);
}

std::string_view content_type_for(std::string_view path) {
  const size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const size_t dot = name.rfind('.');
  if (dot != std::string_view::npos) {
    const std::string_view extension = name.substr(dot + 1);
    for (const auto& entry : kTypes) {
      if (iequals(entry.extension, extension)) return entry.type;
    }
  }
  return "application/octet-stream";
}

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (in.size() - i < 3) return false;
    const int high = hex_value(in[i + 1]);
    const int low = hex_value(in[i + 2]);
    if (high < 0 || low < 0) return false;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return true;
}

common::Result<size_t> read_file_at(const common::Fd& file, char* buffer, size_t capacity,
                                    uint64_t offset) {
  for (;;) {
    const ssize_t n = ::pread(file.get(), buffer, capacity, static_cast<off_t>(offset));
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return common::sys_error("read static file", errno);
  }
}

}  // namespace web

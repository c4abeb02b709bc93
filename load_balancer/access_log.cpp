#include "load_balancer/access_log.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <ctime>

namespace lb {

namespace {

void append_number(std::string& out, uint64_t n, int min_digits = 1) {
  char buffer[24];
  char* end = std::to_chars(buffer, buffer + sizeof buffer, n).ptr;
  for (auto digits = end - buffer; digits < min_digits; ++digits) out += '0';
  out.append(buffer, end);
}

// "2026-11-26T15:30:00.123Z", as the suite's other logs write time.
void append_time(std::string& out, std::chrono::system_clock::time_point now) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  const auto seconds = static_cast<std::time_t>(ms.count() / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  out.append(buffer, std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc));
  out += '.';
  append_number(out, static_cast<uint64_t>(ms.count() % 1000), 3);
  out += 'Z';
}

void append_field(std::string& out, std::string_view text) {
  out += ' ';
  out += text.empty() ? "-" : text;
}

// The line write() prints, without its newline.
void format_access_line(const AccessRecord& record, std::chrono::system_clock::time_point now,
                        std::string& out) {
  out.clear();
  append_time(out, now);
  append_field(out, record.client);
  append_field(out, record.method);
  append_field(out, record.target);
  out += ' ';
  append_number(out, static_cast<uint64_t>(record.status), 3);
  append_field(out, record.backend);
  out += ' ';
  append_number(out, record.bytes_in);
  out += ' ';
  append_number(out, record.bytes_out);
  const auto micros = static_cast<uint64_t>(std::max<int64_t>(record.duration.count(), 0));
  out += ' ';
  append_number(out, micros / 1000);
  out += '.';
  append_number(out, micros % 1000, 3);
  out += ' ';
  append_number(out, static_cast<uint64_t>(record.retries));
}

}  // namespace

common::Result<std::unique_ptr<AccessLog>> AccessLog::open(const std::string& path) {
  if (path == "-") return std::unique_ptr<AccessLog>(new AccessLog(stdout, false));
  std::FILE* file = std::fopen(path.c_str(), "ae");  // "e": O_CLOEXEC
  if (file == nullptr) return common::sys_error("open access log " + path, errno);
  return std::unique_ptr<AccessLog>(new AccessLog(file, true));
}

AccessLog::~AccessLog() {
  if (owned_) std::fclose(file_);
}

void AccessLog::write(const AccessRecord& record) {
  thread_local std::string line;  // reused: a connection thread formats many lines
  format_access_line(record, std::chrono::system_clock::now(), line);
  line += '\n';
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
}

}  // namespace lb

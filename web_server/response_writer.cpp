#include "web_server/response_writer.hpp"

#include <algorithm>
#include <charconv>

#include "common/http_message.hpp"

namespace web {

namespace {

constexpr size_t kFileChunk = 64 * 1024;

}  // namespace

bool ResponseWriter::send(const Response& response, const ResponseMode& mode,
                          std::string_view extra_headers) {
  if (response.kind == Response::Kind::file) {
    write_head(response, response.file.size, mode, extra_headers);
    if (mode.head_only || response.file.size == 0) return out_.write(head_).ok();
    return send_file(response.file);
  }
  const std::string_view payload = response.payload();
  write_head(response, payload.size(), mode, extra_headers);
  const std::string_view body = mode.head_only ? std::string_view() : payload;
  return out_.write({head_, body}).ok();
}

// Streams the file in chunks after the head (sent with the first chunk), so memory stays
// bounded whatever the file's size.
bool ResponseWriter::send_file(const StaticFile& file) {
  if (!file_buf_) file_buf_ = std::make_unique<char[]>(kFileChunk);
  std::string_view head = head_;
  for (uint64_t offset = 0; offset < file.size;) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(kFileChunk, file.size - offset));
    const auto got = read_file_at(file.fd, file_buf_.get(), want, offset);
    // A file that shrank since its size was sent cannot be completed: closing tells the client.
    if (!got || *got == 0) return false;
    if (!out_.write({head, std::string_view(file_buf_.get(), *got)})) return false;
    head = {};
    offset += *got;
  }
  return true;
}

void ResponseWriter::write_head(const Response& response, uint64_t length, const ResponseMode& mode,
                                std::string_view extra_headers) {
  char digits[24];
  const char* end = std::to_chars(digits, digits + sizeof digits, length).ptr;
  head_.clear();
  common::append_status_line(head_, response.status);
  if (response.status != 204) {  // a 204 has no content and no Content-* fields
    common::append_header(head_, "Content-Type", response.content_type);
    common::append_header(head_, "Content-Length",
                          std::string_view(digits, static_cast<size_t>(end - digits)));
  }
  common::append_header(head_, "X-Backend", server_name_);
  if (!response.allow.empty()) common::append_header(head_, "Allow", response.allow);
  head_ += response.headers;
  head_ += extra_headers;
  if (!mode.keep_alive) {
    common::append_header(head_, "Connection", "close");
  } else if (mode.version_minor == 0) {
    common::append_header(head_, "Connection", "keep-alive");
  }
  head_ += "\r\n";
}

}  // namespace web

#include "common/chunked.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace common {
namespace {

enum class LineStatus { complete, more, too_long, bare_lf };

// Collects one CRLF-terminated line of at most `max` bytes (CRLF excluded) from `input`, joined
// to the part of it that earlier inputs left in `kept`. Sets `used` to the bytes of input taken
// and, once complete, `line` to the line without CRLF (a view into input or into kept).
LineStatus take_line(std::string_view input, size_t max, std::string& kept, size_t& used,
                     std::string_view& line) {
  const void* lf = std::memchr(input.data(), '\n', input.size());
  const size_t n =
      lf ? static_cast<size_t>(static_cast<const char*>(lf) - input.data()) : input.size();
  // The +1 leaves room for the CR of a line that is exactly max bytes long.
  if (kept.size() + n > max + 1) return LineStatus::too_long;
  used = lf ? n + 1 : n;
  if (!lf) {
    kept.append(input);
    return LineStatus::more;
  }
  std::string_view full = input.substr(0, n);
  if (!kept.empty()) full = kept.append(full);
  if (full.empty() || full.back() != '\r') return LineStatus::bare_lf;
  line = full.substr(0, full.size() - 1);
  return LineStatus::complete;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_ctl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7f;
}

size_t skip_bws(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return i;
}

size_t token_end(std::string_view s, size_t i) {
  while (i < s.size() && is_tchar(s[i])) ++i;
  return i;
}

// quoted-string (RFC 9110 §5.6.4) opening at s[i]: the index past its closing quote, or npos.
size_t quoted_end(std::string_view s, size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '"') return i + 1;
    if (s[i] == '\\' && ++i == s.size()) break;
    if (is_ctl(s[i])) break;
  }
  return std::string_view::npos;
}

// chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ), at least one
// here. Checked whole although ignored: a lax reader and a strict one that split "5;=x" or an
// unclosed quote differently would disagree on where the chunk data starts.
std::string_view check_extensions(std::string_view ext) {
  size_t i = skip_bws(ext, 0);
  if (i == ext.size() || ext[i] != ';') return "invalid chunk size";
  while (i < ext.size()) {
    if (ext[i] != ';') return "invalid chunk extension";
    const size_t name = skip_bws(ext, i + 1);
    i = token_end(ext, name);
    if (i == name) return "chunk extension without a name";
    i = skip_bws(ext, i);
    if (i == ext.size() || ext[i] != '=') continue;
    const size_t value = skip_bws(ext, i + 1);
    i = value < ext.size() && ext[value] == '"' ? quoted_end(ext, value) : token_end(ext, value);
    if (i == std::string_view::npos) return "unclosed quoted chunk extension";
    if (i == value) return "chunk extension without a value";
    i = skip_bws(ext, i);
  }
  return {};
}

// chunk-size [ chunk-ext ]: returns the reason the line is refused, or empty.
std::string_view parse_size_line(std::string_view line, uint64_t& size) {
  size_t i = 0;
  size = 0;
  for (int d = 0; i < line.size() && (d = hex_digit(line[i])) >= 0; ++i) {
    if (i == 16) return "chunk size too large";
    size = (size << 4) | static_cast<uint64_t>(d);
  }
  if (i == 0) return "invalid chunk size";
  const std::string_view ext = line.substr(i);
  return ext.empty() ? std::string_view{} : check_extensions(ext);
}

}  // namespace

ChunkedDecoder::Step ChunkedDecoder::feed(std::string_view input) {
  Step step;
  while (state_ != State::done && state_ != State::failed && step.consumed < input.size()) {
    const std::string_view rest = input.substr(step.consumed);
    if (state_ == State::data) {
      const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, rest.size()));
      step.data = rest.substr(0, take);
      step.consumed += take;
      remaining_ -= take;
      body_bytes_ += take;
      if (remaining_ == 0) state_ = State::data_crlf;
      return step;
    }
    // Every other state reads a line: a chunk size, the empty line after data, or a trailer.
    const size_t max = state_ == State::size_line   ? limits_.max_line
                       : state_ == State::data_crlf ? 0
                                                    : limits_.max_trailer_bytes - trailer_bytes_;
    size_t used = 0;
    std::string_view line;
    const LineStatus status = take_line(rest, max, line_, used, line);
    step.consumed += used;
    if (status == LineStatus::complete) {
      on_line(line);
    } else if (state_ == State::data_crlf && status != LineStatus::more) {
      fail(HttpError::bad_request, "missing CRLF after chunk data");
    } else if (status == LineStatus::too_long) {
      state_ == State::size_line ? fail(HttpError::bad_request, "chunk size line too long")
                                 : fail(HttpError::header_too_large, "trailer section too large");
    } else if (status == LineStatus::bare_lf) {
      fail(HttpError::bad_request, "bare LF in chunked body");
    }
  }
  step.done = state_ == State::done;
  step.error = error_;
  step.reason = reason_;
  return step;
}

void ChunkedDecoder::on_line(std::string_view line) {
  switch (state_) {
    case State::size_line:
      on_size_line(line);
      break;
    case State::data_crlf:
      state_ = State::size_line;
      break;  // with max 0, only "" completes
    case State::trailer:
      on_trailer_line(line);
      break;
    case State::data:
    case State::done:
    case State::failed:
      break;
  }
  line_.clear();
}

void ChunkedDecoder::on_size_line(std::string_view line) {
  uint64_t size = 0;
  const std::string_view why = parse_size_line(line, size);
  if (!why.empty()) return fail(HttpError::bad_request, why);
  if (size > limits_.max_body - body_bytes_) {
    return fail(HttpError::payload_too_large, "chunked body exceeds limit");
  }
  remaining_ = size;
  state_ = size == 0 ? State::trailer : State::data;
}

// Trailer fields are read and discarded: nothing downstream relies on them.
void ChunkedDecoder::on_trailer_line(std::string_view line) {
  if (line.empty()) {
    state_ = State::done;
    return;
  }
  trailer_bytes_ += line.size() + 2;
  if (trailer_bytes_ > limits_.max_trailer_bytes) {
    return fail(HttpError::header_too_large, "trailer section too large");
  }
  if (std::any_of(line.begin(), line.end(), is_ctl) || line.front() == ' ' ||
      line.front() == '\t') {
    return fail(HttpError::bad_request, "invalid trailer field");
  }
}

void ChunkedDecoder::fail(HttpError error, std::string_view reason) {
  state_ = State::failed;
  error_ = error;
  reason_ = reason;
}

std::string chunk_header(size_t size) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, size, 16).ptr;
  std::string out(buf, end);
  out += "\r\n";
  return out;
}

}  // namespace common

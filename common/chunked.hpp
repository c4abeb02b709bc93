// The chunked transfer coding (RFC 9112 §7.1): an incremental decoder that accepts input split at
// any byte, and the encoder's framing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/http_parser.hpp"

namespace common {

struct ChunkedLimits {
  size_t max_line = 4096;              // a chunk-size line with extensions
  size_t max_trailer_bytes = 16 * 1024;
  uint64_t max_body = UINT64_MAX;      // total decoded bytes; beyond it -> limit error
};

class ChunkedDecoder {
 public:
  explicit ChunkedDecoder(ChunkedLimits limits = {}) : limits_(limits) {}

  struct Step {
    size_t consumed = 0;     // bytes of the input used by this call
    std::string_view data;   // decoded body bytes (a view into the input), possibly empty
    bool done = false;       // the last chunk and the trailers were read
    // bad_request (bad size, missing CRLF), payload_too_large (over max_body) or
    // header_too_large (trailers over max_trailer_bytes); repeated by every later call.
    HttpError error = HttpError::none;
    std::string_view reason;
  };

  // Decodes from the start of `input`. Returns after at most one run of body bytes, so call it
  // again with the rest of the input while consumed < input.size() and neither done nor error.
  // Once done, bytes after the last chunk's trailers are left unconsumed (a pipelined message).
  Step feed(std::string_view input);
  uint64_t body_bytes() const { return body_bytes_; }

 private:
  enum class State { size_line, data, data_crlf, trailer, done, failed };
  void on_line(std::string_view line);
  void on_size_line(std::string_view line);
  void on_trailer_line(std::string_view line);
  void fail(HttpError error, std::string_view reason);

  ChunkedLimits limits_;
  State state_ = State::size_line;
  HttpError error_ = HttpError::none;
  std::string_view reason_;
  std::string line_;  // the start of a line split across inputs
  uint64_t remaining_ = 0;
  uint64_t body_bytes_ = 0;
  size_t trailer_bytes_ = 0;
};

// "1a2\r\n": the framing before a chunk of `size` bytes (which is followed by "\r\n").
std::string chunk_header(size_t size);
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace common

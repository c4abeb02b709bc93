// Takes the body of one message out of received bytes, one run of body bytes at a time, however
// it is framed (Content-Length, chunked, until close). No I/O: the caller feeds what it has.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/chunked.hpp"
#include "common/http_parser.hpp"

namespace common {

class BodyReader {
 public:
  struct Run {
    std::string_view data;              // body bytes: a view into the input
    size_t consumed = 0;                // input bytes used, framing included
    bool done = false;                  // the body ended within the input
    HttpError error = HttpError::none;  // malformed chunked framing, or too large
    std::string_view reason;
  };

  // A new message framed as `framing`; `max_body` bounds a chunked body (0 = no bound).
  void start(const BodyFraming& framing, uint64_t max_body);
  // Decodes from the start of `input`. Call again with the input left after consumed.
  Run next(std::string_view input);
  // The sender closed its side: the end of an until-close body, else a truncated message.
  bool ends_at_eof();
  bool done() const { return done_; }
  uint64_t wire_bytes() const { return wire_bytes_; }  // input consumed for this body

 private:
  Run next_chunked(std::string_view input);

  BodyKind kind_ = BodyKind::none;
  uint64_t remaining_ = 0;  // for content_length
  ChunkedDecoder decoder_;
  bool done_ = true;
  uint64_t wire_bytes_ = 0;
};

}  // namespace common

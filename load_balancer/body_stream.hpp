// Streaming a message body through the proxy, whatever its framing on either side: runs of body
// bytes are taken from the sender's buffer as they arrive, framed anew and sent on, so that no
// body is ever held whole.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/chunked.hpp"
#include "common/http_parser.hpp"
#include "common/result.hpp"
#include "common/socket.hpp"
#include "load_balancer/header_rewrite.hpp"
#include "load_balancer/socket_reader.hpp"

namespace lb {

// Takes the body of one message out of received bytes, one run of body bytes at a time.
class BodyReader {
 public:
  struct Run {
    std::string_view data;                              // body bytes: a view into the input
    size_t consumed = 0;                                // input bytes used, framing included
    bool done = false;                                  // the body ended within the input
    common::HttpError error = common::HttpError::none;  // malformed chunked framing, or too large
    std::string_view reason;
  };

  // A new message framed as `framing`; `max_body` bounds a chunked body (0 = no bound).
  void start(const common::BodyFraming& framing, uint64_t max_body);
  // Decodes from the start of `input`; no I/O. Call again with the input left after consumed.
  Run next(std::string_view input);
  // The sender closed its side: the end of an until-close body, else a truncated message.
  bool ends_at_eof();
  bool done() const { return done_; }
  uint64_t wire_bytes() const { return wire_bytes_; }  // input consumed for this body

 private:
  Run next_chunked(std::string_view input);

  common::BodyKind kind_ = common::BodyKind::none;
  uint64_t remaining_ = 0;  // for content_length
  common::ChunkedDecoder decoder_;
  bool done_ = true;
  uint64_t wire_bytes_ = 0;
};

// One run of body bytes as the proxy sends it: for chunked framing, the chunk-size line, the data
// and its CRLF, and the last chunk when the body ends with this run.
struct FramedRun {
  std::string size_line;  // "1a2\r\n" (short enough to stay in the string itself)
  std::string_view data;
  std::string_view data_end;
  std::string_view last_chunk;
  size_t size() const {
    return size_line.size() + data.size() + data_end.size() + last_chunk.size();
  }
};

// Where a pumped body goes.
class BodySink {
 public:
  virtual ~BodySink() = default;
  // Sends one run. Every run is used up even when sending it fails: the reader has moved past it.
  virtual common::Status write(const FramedRun& run) = 0;
  // Called before the pump blocks on a read: whatever is held back (a head that was to go out
  // with the first run) must leave now, so that the receiver is not kept waiting on it.
  virtual common::Status flush() = 0;
};

struct PumpEnd {
  enum class Kind {
    done,          // the whole body was sent
    read_failed,   // the sender timed out, reset or closed early (error says which)
    bad_body,      // malformed framing or over the limit (http_error says which)
    write_failed,  // the sink failed (error)
  };
  Kind kind = Kind::done;
  common::Error error{common::Errc::io_error, {}};
  common::HttpError http_error = common::HttpError::none;
  std::string_view reason;
};

// Moves the body `body` was started for from `in` (buffered bytes first, then reads that each
// wait at most `timeout`) to `sink`, framed as `framing`; when it ends done, everything (a
// held-back head too) has left. Resumable: after a write failure the caller may switch the
// sink's destination and call it again.
PumpEnd pump_body(SocketReader& in, common::Millis timeout, BodyReader& body, OutFraming framing,
                  BodySink& sink);

}  // namespace lb

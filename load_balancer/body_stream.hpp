// Streaming a message body through the proxy, whatever its framing on either side: runs of body
// bytes are taken from the sender's buffer as they arrive, framed anew and sent on, so that no
// body is ever held whole.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/body_reader.hpp"
#include "common/chunked.hpp"
#include "common/http_parser.hpp"
#include "common/result.hpp"
#include "common/socket.hpp"
#include "common/stream.hpp"
#include "load_balancer/header_rewrite.hpp"

namespace lb {

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

// Moves the body `body` was started for from `in` (buffered bytes first, then reads bounded by
// `deadline`, counted from this call) to `sink`, framed as `framing`; when it ends done, everything
// (a held-back head too) has left. Resumable: after a write failure the caller may switch the
// sink's destination and call it again.
PumpEnd pump_body(common::Stream& in, const common::BodyDeadline& deadline,
                  common::BodyReader& body, OutFraming framing, BodySink& sink);

}  // namespace lb

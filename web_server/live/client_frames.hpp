// What the browser of a /live subscriber may send, without I/O: pings (answered with pongs),
// pongs, and the close handshake. Data messages mean nothing here and close the connection
// with 1003. Single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace web::live {

class ClientFrames {
 public:
  // Consumes whole frames from the start of input and appends the replies to out. Returns the
  // bytes used; the rest (a partial frame) is to be passed again with more.
  size_t feed(std::string_view input, std::string& out);

  // Appends a close frame with `code` (the server's own reason) and finishes.
  void close(uint16_t code, std::string& out);

  bool finished() const { return finished_; }        // a close frame was sent
  bool peer_closed() const { return peer_closed_; }  // ... in answer to the peer's

 private:
  bool finished_ = false;
  bool peer_closed_ = false;
};

}  // namespace web::live

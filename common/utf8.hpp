// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
#pragma once

#include <cstdint>
#include <string_view>

namespace common {

// Checks UTF-8 as it arrives in pieces, failing on the first byte after which the bytes so far
// cannot begin valid UTF-8 (so a WebSocket text message can be failed before it is whole).
class Utf8Validator {
 public:
  // Checks the next bytes; false once anything fed so far is invalid, and from then on.
  bool feed(std::string_view bytes);
  // Whether everything fed is valid and ends on a whole character.
  bool complete() const { return valid_ && needed_ == 0; }

 private:
  bool valid_ = true;
  uint8_t needed_ = 0;  // continuation bytes still to come for the current character
  // The range the next continuation byte must fall in: narrower than 80..BF right after some
  // lead bytes, which is how overlong forms, surrogates and code points past U+10FFFF show.
  uint8_t low_ = 0x80;
  uint8_t high_ = 0xBF;
};

bool valid_utf8(std::string_view text);

}  // namespace common

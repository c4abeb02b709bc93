#include "common/utf8.hpp"

namespace common {

namespace {

struct Lead {
  uint8_t needed;  // continuation bytes after it; 0 with low == 0 for a byte that cannot lead
  uint8_t low;     // the range of the byte right after it (Unicode's table of well-formed UTF-8)
  uint8_t high;
};

Lead lead_of(uint8_t c) {
  if (c >= 0xC2 && c <= 0xDF) return {1, 0x80, 0xBF};
  if (c == 0xE0) return {2, 0xA0, 0xBF};  // below A0: overlong
  if (c == 0xED) return {2, 0x80, 0x9F};  // above 9F: surrogates
  if (c >= 0xE1 && c <= 0xEF) return {2, 0x80, 0xBF};
  if (c == 0xF0) return {3, 0x90, 0xBF};  // below 90: overlong
  if (c >= 0xF1 && c <= 0xF3) return {3, 0x80, 0xBF};
  if (c == 0xF4) return {3, 0x80, 0x8F};  // above 8F: past U+10FFFF
  return {0, 0, 0};                       // continuation bytes, C0, C1 (always overlong) and F5..FF
}

}  // namespace

bool Utf8Validator::feed(std::string_view bytes) {
  for (size_t i = 0; valid_ && i < bytes.size(); ++i) {
    const auto c = static_cast<uint8_t>(bytes[i]);
    if (needed_ > 0) {
      valid_ = c >= low_ && c <= high_;
      --needed_;
      low_ = 0x80;
      high_ = 0xBF;
    } else if (c >= 0x80) {
      const Lead lead = lead_of(c);
      valid_ = lead.needed > 0;
      needed_ = lead.needed;
      low_ = lead.low;
      high_ = lead.high;
    }
  }
  return valid_;
}

bool valid_utf8(std::string_view text) {
  Utf8Validator validator;
  validator.feed(text);
  return validator.complete();
}

}  // namespace common

#include "client/ws_frames.hpp"

namespace client {

std::array<uint8_t, 4> new_mask(std::mt19937_64& random) {
  const uint64_t word = random();
  return {static_cast<uint8_t>(word), static_cast<uint8_t>(word >> 8),
          static_cast<uint8_t>(word >> 16), static_cast<uint8_t>(word >> 24)};
}

void fill_message(std::string& payload, uint64_t sequence) {
  for (size_t i = 0; i < payload.size(); ++i) {
    payload[i] = i < 8 ? static_cast<char>(sequence >> (8 * i)) : static_cast<char>('a' + i % 26);
  }
}

}  // namespace client

// What the WebSocket mode adds to common::ws's codec: a fresh mask for every frame it sends, and
// the payload each message carries. Pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <string>

namespace client {

// A frame mask from the connection's generator: every frame gets a new one (RFC 6455 §5.3).
std::array<uint8_t, 4> new_mask(std::mt19937_64& random);

// Rewrites `payload` (its size is the message size) for message `sequence`: the sequence number's
// bytes first, so that an echo of an earlier message never matches, then a fixed pattern.
void fill_message(std::string& payload, uint64_t sequence);

}  // namespace client

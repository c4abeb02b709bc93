// The payloads of the replication frames (see frame.hpp), encoded with fixed-width big-endian
// integers. Decoders are strict: a payload with missing or extra bytes, or a field out of range,
// decodes to nullopt.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "web_server/replication/auth.hpp"
#include "web_server/store/store.hpp"

namespace web::replication {

struct Hello {  // HELLO
  store::OriginId origin = 0;
  Nonce nonce{};
};

struct Challenge {  // CHALLENGE
  store::OriginId origin = 0;
  Nonce nonce{};
  Mac proof{};
};

struct Progress {                        // PROGRESS
  std::vector<store::Promise> promises;  // ours and those we heard, one per origin
  // The origins the sender retired (removed from its peers, or replaced by a new origin at the
  // same address), each with the last seq it will take from it: see Stability::horizon.
  store::Summary retired;
  bool operator==(const Progress&) const = default;
};

struct Skip {  // SKIP
  store::OriginId origin = 0;
  uint64_t upto = 0;
};

std::string encode(const Hello& hello);
std::string encode(const Challenge& challenge);
std::string encode(const Mac& proof);               // PROOF
std::string encode(const store::Summary& summary);  // ACK
std::string encode(const store::Change& change);    // CHANGE
std::string encode(const Progress& progress);
std::string encode(const Skip& skip);

std::optional<Hello> decode_hello(std::string_view payload);
std::optional<Challenge> decode_challenge(std::string_view payload);
std::optional<Mac> decode_proof(std::string_view payload);
std::optional<store::Summary> decode_summary(std::string_view payload);
// Checks the sizes (key 1..kMaxKeyBytes, value <= kMaxValueBytes) and seq >= 1, not the key's
// characters: the receiver checks store::valid_key before applying.
std::optional<store::Change> decode_change(std::string_view payload);
// Origins non-zero and each at most once, in both lists.
std::optional<Progress> decode_progress(std::string_view payload);
std::optional<Skip> decode_skip(std::string_view payload);  // origin and upto non-zero

}  // namespace web::replication

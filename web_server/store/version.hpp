// What every stored change carries: its version (a hybrid logical clock timestamp and the id of
// the server that took the write) and its place in that server's change log (origin, seq).
// Last writer wins by (hlc, origin), so every server picks the same winner without talking.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace web::store {

// An origin id: random at a server's first start, kept in its data file, printed in hex.
using OriginId = uint64_t;

struct Version {
  uint64_t hlc = 0;  // see hlc.hpp: milliseconds << 16 | logical counter
  OriginId origin = 0;
  auto operator<=>(const Version&) const = default;
};

// "<hlc>-<origin as 16 hex digits>", the X-Version and (quoted) ETag form; parse_version reads it.
std::string to_string(const Version& version);
std::optional<Version> parse_version(std::string_view text);

// One write as it travels between servers: applying it twice, or after a newer write to the same
// key, changes nothing.
struct Change {
  OriginId origin = 0;
  uint64_t seq = 0;  // 1, 2, 3, ... per origin, in the order the origin committed them
  Version version;   // version.origin == origin
  std::string key;
  std::optional<std::string> value;  // nullopt: a delete (a tombstone)
};

// What an origin promises about the changes it has yet to make: none after `seq` will carry an
// hlc <= `hlc` (its clock only grows, and every later write takes a timestamp past it). A server
// that has `origin`'s log up to `seq` thus holds every change of that origin older than `hlc`;
// once every server does, for every origin, nothing older than `hlc` can still arrive anywhere.
struct Promise {
  OriginId origin = 0;
  uint64_t seq = 0;
  uint64_t hlc = 0;
  bool operator==(const Promise&) const = default;
};

}  // namespace web::store

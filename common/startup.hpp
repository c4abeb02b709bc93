// How a main() turns its flags into values and reports a start-up failure: one line
// "NAME: what failed" on stderr and a non-zero exit status, returned by main (no exit(), so that
// what main built is destroyed in order).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace common {

inline constexpr int kExitFailure = 1;  // could not start: bind, open a file, start a thread
inline constexpr int kExitUsage = 2;    // a bad flag

// A flag whose value does not do; what() says which and why, e.g. "--listen: no port".
class BadFlag : public std::runtime_error {
 public:
  explicit BadFlag(const std::string& message) : std::runtime_error(message) {}
};

// The value of `result`, parsed from `flag`; else throws BadFlag "FLAG: the error's message".
template <class T>
T checked(std::string_view flag, Result<T> result) {
  if (!result) throw BadFlag(std::string(flag) + ": " + result.error().message);
  return std::move(*result);
}

// Prints "program: message" on stderr and returns `status`, for main to return.
int startup_failure(std::string_view program, std::string_view message, int status = kExitFailure);

}  // namespace common

// A parameterised test's name from a table row's readable name ("truncated hello" becomes
// "truncated_hello"): gtest allows only letters, digits and '_', and the name is what ctest
// shows instead of the row's bytes.
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace test_support {

inline std::string param_name(std::string_view readable) {
  std::string name(readable);
  for (char& c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) c = '_';
  }
  return name;
}

}  // namespace test_support

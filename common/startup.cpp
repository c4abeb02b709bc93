#include "common/startup.hpp"

#include <iostream>

namespace common {

int startup_failure(std::string_view program, std::string_view message, int status) {
  std::cerr << program << ": " << message << std::endl;
  return status;
}

}  // namespace common

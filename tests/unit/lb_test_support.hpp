// Backend specs for the balancer's unit tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "load_balancer/backend_spec.hpp"

namespace lb::test {

// Specs for 127.0.0.1 ports 1.. with the given weights.
inline std::vector<BackendSpec> specs_of(const std::vector<int>& weights) {
  std::string list;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (i > 0) list += ',';
    list += "127.0.0.1:" + std::to_string(i + 1) + "@" + std::to_string(weights[i]);
  }
  auto specs = parse_backend_list(list);
  EXPECT_TRUE(specs.ok()) << specs.error().message;
  return std::move(*specs);
}

}  // namespace lb::test

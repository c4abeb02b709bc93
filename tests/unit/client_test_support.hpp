// Options and runs for the tests that drive client::run against an in-process server.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "client/run.hpp"
#include "client/url.hpp"
#include "common/address.hpp"

namespace client_test {

using namespace std::chrono_literals;

// A closed-loop run of `requests` over `concurrency` connections; the generous timeout turns a
// stuck test into a counted failure rather than a hang.
inline client::Options options_for(uint64_t requests, size_t concurrency,
                                   std::string_view url = "http://127.0.0.1/") {
  client::Options options;
  options.request.url = *client::parse_url(url);
  options.plan.requests = requests;
  options.concurrency = concurrency;
  options.timeout = 10s;
  return options;
}

// The run's result; a run that could not start at all throws, so the test fails on its message.
inline client::RunResult run_ok(const client::Options& options, const common::Address& address) {
  auto result = client::run(options, address);
  if (!result) throw std::runtime_error(result.error().message);
  return std::move(*result);
}

}  // namespace client_test

// The idle keep-alive connections to one backend, in the UpstreamPool. The pool decides what
// goes in and out; this is only the storage.
#pragma once

#include <chrono>
#include <mutex>
#include <vector>

#include "common/fd.hpp"

namespace lb {

struct IdleConnection {
  common::Fd fd;
  std::chrono::steady_clock::time_point since;
};

struct IdleList {
  std::mutex mutex;
  std::vector<IdleConnection> idle;  // oldest first; guarded by mutex
};

}  // namespace lb

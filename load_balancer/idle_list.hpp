// The idle keep-alive connections to one backend, kept by the backend itself so that they go
// when it goes: a backend removed at run time closes its idle connections as soon as the last
// session holding it ends. UpstreamPool decides what goes in and out; this is only the storage.
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

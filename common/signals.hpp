// Shutdown and reload plumbing. Signals are never handled asynchronously: main() blocks them
// before starting any thread (threads inherit the mask) and one thread takes them with sigwait.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>

namespace common {

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and ignores SIGPIPE for the process.
// Call first thing in main(), before any thread exists.
void block_shutdown_signals();

// Waits for the next of SIGINT, SIGTERM, SIGHUP and returns its number.
int wait_for_signal();

// Waits for SIGINT or SIGTERM and returns its number, running `on_hangup` on this thread for each
// SIGHUP that comes first. Then logs "received Terminated: shutting down" and tells the service
// manager that the drain has begun.
int wait_for_shutdown(const std::function<void()>& on_hangup);

// The drain after wait_for_shutdown(): waits until `open_connections` returns 0 or `timeout`
// passed, and a second SIGINT or SIGTERM ends the wait at once. Logs what it waits for and, when
// it gives up, why, and how many connections the caller is about to close. True when none is
// left.
bool drain(std::chrono::milliseconds timeout, const std::function<size_t()>& open_connections);

}  // namespace common

// Shutdown and reload plumbing. Signals are never handled asynchronously: main() blocks them
// before starting any thread (threads inherit the mask) and one thread takes them with sigwait.
#pragma once

namespace common {

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and ignores SIGPIPE for the process.
// Call first thing in main(), before any thread exists.
void block_shutdown_signals();

// Waits for the next of SIGINT, SIGTERM, SIGHUP and returns its number.
int wait_for_signal();

}  // namespace common

#pragma once
// SIGINT and SIGTERM always end the run, even when a thread is stuck in a read.

#include <atomic>

namespace smartcrop::cli {

// Blocks SIGINT and SIGTERM in this thread, and so in every thread started after it,
// and starts the one thread that takes them. Call first in main, before any thread.
// Until stop_gracefully() is called, the first signal ends the process at once.
void start_interrupt_thread();

// From now on the first signal sets *cancel (the run takes no new photos) and lets
// the photos in hand be written while *finished keeps counting up (an analysis or a
// write at least every 3 s, 20 s at most); when it stalls - a thread blocked in a read - or at a
// second signal, the process exits with 128 + the signal, its temp files removed.
void stop_gracefully(std::atomic<bool>* cancel, const std::atomic<long>* finished);

// Returns 128 + the signal received (130 for SIGINT, 143 for SIGTERM), or 0.
int interrupted_exit_code();

}  // namespace smartcrop::cli

#pragma once

#include <time.h>

namespace smartcrop {

// Returns the CPU time the calling thread has used, in seconds. Unlike the wall
// clock it is not inflated by other threads sharing the core, so per-stage figures
// in --json (seconds.metadata_cpu, seconds.saliency_cpu) stay honest under load.
inline double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + now.tv_nsec * 1e-9;
}

}  // namespace smartcrop

#include "smartcrop/process_memory.hpp"

#include <malloc.h>

#include <climits>

namespace smartcrop {

void keep_freed_memory_for_reuse() {
  // No mmap'd chunks: large blocks come from the arenas' heaps and go back to them.
  // (A thread arena still maps a block larger than its 64 MB heap, e.g. a 50 MP
  // photo decoded off the main thread; that one is returned when freed.)
  mallopt(M_MMAP_MAX, 0);
  // Never give the top of a heap back to the kernel below 2 GB of free space.
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
}

}  // namespace smartcrop

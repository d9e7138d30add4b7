#pragma once
// Where Torch's CPU tensors live. Private to src/model.

#include <cstddef>

namespace smartcrop {

// Makes Torch take its CPU tensors from smartcrop's allocator (once per process;
// later calls do nothing). Large tensors (1 MB and up) come from blocks backed by
// transparent huge pages that are kept and reused, smaller ones from malloc.
//
// Why: a ViT-S/16 forward at 480x640 allocates ~25 tensors of 35 MB and frees
// them again; on this project's virtual machines each first touch of a 4 KB page
// costs ~16 us, against ~0.25 us per 4 KB inside a 2 MB huge page, and a reused
// block costs nothing (docs/PERFORMANCE.md, "Memory"). Tensors made before the
// call keep their own allocator. SMARTCROP_TENSOR_ALLOCATOR=torch keeps LibTorch's
// own allocator instead, to measure the difference. Test seam:
// SMARTCROP_TEST_ALLOCATION_LIMIT_MB=N makes it refuse tensors over N MB with Torch's
// out-of-memory error, as a full GPU does.
void use_reusing_tensor_allocator();

struct TensorMemoryStats {
  std::size_t mapped_bytes = 0;  // held in large blocks, in use or kept for reuse
  std::size_t cached_bytes = 0;  // of which free, kept for reuse
  std::size_t maps = 0;          // large blocks mapped so far
  std::size_t reuses = 0;        // large allocations served from a kept block
};

TensorMemoryStats tensor_memory_stats();

}  // namespace smartcrop

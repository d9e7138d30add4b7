#pragma once

namespace smartcrop {

// Makes glibc keep freed memory for reuse instead of handing it back to the kernel.
//
// One ViT-S/16 forward at 480x640 allocates and frees ~25 tensors of 35 MB (the
// tokens x tokens attention) and a decoded 12 MP photo is 36 MB. By default glibc
// serves each of those with a fresh mmap, so every 4 KB page is faulted in again on
// every photo; on this project's virtual machines a fault costs ~14 us, i.e. ~3.5 ms
// per MB, and the fp32 forward spent 3.5 of its 4.1 s faulting (docs/PERFORMANCE.md).
// Served from the heap and never trimmed, the same pages are reused: the peak
// resident size is set by the largest photo, not by how many photos a run has.
//
// Call once at start-up, before other threads exist. Idempotent.
void keep_freed_memory_for_reuse();

}  // namespace smartcrop

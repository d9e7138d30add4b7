#pragma once
// Where the model runs: --device, the number format a GPU runs it in, and the
// device facts around a forward (mixed precision, memory, streams). Private to
// src/model (includes Torch's device types).

#include <functional>
#include <string>

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include "smartcrop/precision.hpp"

namespace smartcrop {

// "MAJOR.MINOR.PATCH" of the LibTorch this plugin was built against.
std::string torch_version();

struct DeviceChoice {
  c10::Device device{c10::kCPU};
  std::string line;     // for the log: which device, and for auto why
  std::string warning;  // --device auto found GPUs it cannot use and took the CPU: why
};

// What choose_device asks of Torch; a test gives its own.
struct CudaFacts {
  bool has_cuda = false;  // this LibTorch has CUDA
  int visible = 0;        // GPUs it sees
  // "" if a small product runs on the device, else the first line of Torch's error.
  std::function<std::string(const c10::Device&)> problem;
};

// The facts of this process.
CudaFacts cuda_facts();

// Resolves --device: auto (CUDA when this LibTorch has it, sees a GPU and can run on
// it; else the CPU, with a warning when there were GPUs it could not use), cpu, cuda or
// cuda:N. Throws smartcrop::Error (no path) saying why CUDA cannot be had when it is
// asked for: no CUDA in this LibTorch, no GPU visible, no such device, or a device
// that fails a first product (driver too old, GPU too old for this build, ...).
DeviceChoice choose_device(const std::string& spec, const CudaFacts& facts = cuda_facts());

// On a GPU, mixed precision as on the CPU (autocast, the Linear and Conv2d weights
// stored once in the half format; LayerNorm, softmax and the residual stream fp32):
// fp16 when asked for; the default (auto) is tf32 until a GPU run shows fp16 keeps every
// box within 16 px (at a 480 px short side) of the CPU's fp32 (on the CPU's emulation fp16
// moved one box 403 px, TF32 none of the generated photos'; docs/PERFORMANCE.md "GPU
// precision"), bf16 when asked for where the GPU has it
// (fp16 where it says it has not), fp32 strict (no TF32), tf32 as fp32 with TF32
// products. Throws smartcrop::Error if the bf16 check fails for another reason than
// a missing bf16 (a broken CUDA context must not pass as "no bf16").
Precision gpu_precision(Precision requested, const c10::Device& device);

// True if `message`, a Torch error's, says the device or build has no bf16 products.
bool says_no_bf16(const std::string& message);

// True if `message`, a Torch error's, says memory ran out (CUDA's allocator, the CPU
// allocator, std::bad_alloc, or smartcrop's test seam, tensor_memory.hpp).
bool says_out_of_memory(const std::string& message);

// The first line of a Torch message, without TorchScript's leading blank lines and
// "The following operation failed" preamble: the error itself.
std::string torch_error_line(const std::string& message);

c10::ScalarType dtype_of(Precision precision);

// TF32 for CUDA matrix products and convolutions, process-wide (fp32 keeps it off:
// cuDNN's own default is on).
void allow_tf32(bool on);

// Gives the memory the device's caching allocator keeps back to the driver
// (LibTorch >= 2.8; older ones free their cache themselves before reporting
// out-of-memory, so a retry finds it free either way).
void release_device_cache(const c10::Device& device);

// Mixed precision on `type` (CPU or CUDA) in `dtype` for the calling thread while it
// lives; does nothing when `on` is false.
class AutocastScope {
 public:
  AutocastScope(c10::DeviceType type, c10::ScalarType dtype, bool on);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  c10::DeviceType type_;
  bool on_;
  bool was_on_ = false;
};

}  // namespace smartcrop

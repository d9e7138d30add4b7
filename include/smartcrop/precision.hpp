#pragma once
// The number format the model runs in, and the CPU facts that choose it. No Torch
// here: the engine and the backend parameters use it without Torch.

#include <string>

namespace smartcrop {

enum class Precision {
  Auto,  // bf16 where the CPU computes it natively, else fp32
  Fp32,
  Bf16,  // matrix products in bfloat16, LayerNorm, softmax and the residual stream in float32
         // (mixed precision, on the CPU and a GPU). The attention comes back as float32.
  Fp16,  // GPU only: the same mixed precision in float16 (the GPU's default)
  Tf32,  // GPU only: float32 with TF32 matrix products and convolutions
};

// Returns "auto", "fp32", "bf16", "fp16" or "tf32".
std::string precision_name(Precision precision);

// Returns true if the CPU has native bfloat16 arithmetic (AVX512_BF16 or AMX-BF16),
// from /proc/cpuinfo's flags, else from cpuid. False on other architectures.
bool cpu_has_native_bf16();

// Returns true if /proc/cpuinfo lists AVX-512 F, BW, VL and DQ and FMA: what Torch's
// AVX-512 kernels need (the kernel lists them only where it saves the AVX-512 state).
bool cpu_has_avx512();

// Returns `requested` with Auto replaced by Bf16 or Fp32 (see cpu_has_native_bf16).
Precision resolve_precision(Precision requested);

// Makes Torch run its AVX-512 kernels where the CPU has them, unless the user set
// ATEN_CPU_CAPABILITY (it sets that variable). Call it at start-up, before other
// threads exist (setenv); AttentionModel::load calls it too, for library users.
void prefer_avx512_kernels();

// Returns the number of cores this process may run on (at least 1).
int available_cores();

}  // namespace smartcrop

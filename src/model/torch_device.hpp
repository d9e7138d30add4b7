#pragma once
// Where the model runs: --device, and the number format a GPU runs it in.
// Private to src/model (includes Torch's device type).

#include <string>

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include "smartcrop/precision.hpp"

namespace smartcrop {

// "MAJOR.MINOR.PATCH" of the LibTorch this plugin was built against.
std::string torch_version();

struct DeviceChoice {
  c10::Device device{c10::kCPU};
  std::string line;  // for the log: which device, and for auto why
};

// Resolves --device: auto (CUDA when this LibTorch has it and sees a GPU, else the
// CPU), cpu, cuda or cuda:N. Throws smartcrop::Error (no path) saying why CUDA
// cannot be had when it is asked for: no CUDA in this LibTorch, no GPU visible, or
// no such device.
DeviceChoice choose_device(const std::string& spec);

// On a GPU: the weights once in half precision (bf16; fp16 where the GPU does not
// run bf16), unless fp32 or fp16 is asked for. Autocast casts op by op on every
// call: with the TorchScript file at batch 1 it ran four times slower than fp32 on
// an H200 (issue 20).
Precision gpu_precision(Precision requested, const c10::Device& device);

c10::ScalarType dtype_of(Precision precision);

}  // namespace smartcrop

// Device selection; includes Torch (its CUDA queries), like the rest of src/model.
#include "torch_device.hpp"

#include <link.h>

#include <cstdlib>
#include <cstring>

#include <torch/cuda.h>
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <torch/version.h>

#include "smartcrop/error.hpp"

namespace smartcrop {

namespace {

// True if Torch's CUDA library is loaded in this process: a CUDA LibTorch links it
// into the plugin, a CPU-only one has none. (torch::cuda::is_available() is false
// both without CUDA and without a visible GPU; this tells the two apart.)
bool libtorch_has_cuda() {
  bool found = false;
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        if (info->dlpi_name != nullptr && std::strstr(info->dlpi_name, "libc10_cuda") != nullptr) {
          *static_cast<bool*>(data) = true;
        }
        return 0;
      },
      &found);
  return found;
}

// True if `device` runs bf16 matrix products (GPUs before Ampere may not).
bool runs_bf16(const c10::Device& device) {
  try {
    c10::InferenceMode guard;
    const at::Tensor a = at::ones({16, 16}, at::TensorOptions().device(device).dtype(at::kBFloat16));
    return at::matmul(a, a).sum().item<float>() > 0.0f;
  } catch (const c10::Error&) {
    return false;
  }
}

}  // namespace

std::string torch_version() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

DeviceChoice choose_device(const std::string& spec) {
  const std::string torch_name = "this LibTorch (" + torch_version() + ")";
  if (spec == "cpu") return {c10::Device(c10::kCPU), "device: cpu (--device cpu)"};
  const bool has_cuda = libtorch_has_cuda();
  const int visible = has_cuda ? static_cast<int>(torch::cuda::device_count()) : 0;
  if (spec == "auto" || spec.empty()) {
    if (visible > 0) {
      return {c10::Device(c10::kCUDA, 0),
              "device: cuda:0 (--device auto: " + torch_name + " has CUDA and sees " + std::to_string(visible) +
                  " GPU(s))"};
    }
    return {c10::Device(c10::kCPU), "device: cpu (--device auto: " + torch_name +
                                            (has_cuda ? " has CUDA but sees no GPU)" : " has no CUDA)")};
  }
  int index = 0;
  if (spec != "cuda") {
    const std::string digits = spec.rfind("cuda:", 0) == 0 ? spec.substr(5) : "";
    if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string::npos) {
      throw Error("", "--device " + spec + ": expected auto, cpu, cuda or cuda:N");
    }
    index = std::stoi(digits);
  }
  if (!has_cuda) {
    throw Error("", "--device " + spec + ": " + torch_name +
                        " has no CUDA (a CPU-only build): build the DINO plugin against a CUDA LibTorch "
                        "(README, \"On a GPU\") or use --device cpu");
  }
  if (visible == 0) {
    const char* env = std::getenv("CUDA_VISIBLE_DEVICES");
    throw Error("", "--device " + spec + ": " + torch_name +
                        " has CUDA but sees no GPU (no NVIDIA driver, or none visible" +
                        (env != nullptr ? std::string("; CUDA_VISIBLE_DEVICES=") + env : std::string()) +
                        "); use --device cpu");
  }
  if (index >= visible) {
    throw Error("", "--device " + spec + ": " + std::to_string(visible) + " GPU(s) visible (cuda:0 to cuda:" +
                        std::to_string(visible - 1) + ")");
  }
  return {c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index)), "device: " + spec};
}

Precision gpu_precision(Precision requested, const c10::Device& device) {
  if (requested == Precision::Fp32 || requested == Precision::Fp16) return requested;
  return runs_bf16(device) ? Precision::Bf16 : Precision::Fp16;
}

c10::ScalarType dtype_of(Precision precision) {
  switch (precision) {
    case Precision::Bf16: return at::kBFloat16;
    case Precision::Fp16: return at::kHalf;
    default: return at::kFloat;
  }
}

}  // namespace smartcrop

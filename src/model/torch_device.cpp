// Device selection; includes Torch (its CUDA queries), like the rest of src/model.
#include "torch_device.hpp"

#include <link.h>

#include <cstdlib>
#include <cstring>

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>
#include <torch/version.h>

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 8)
#include <ATen/DeviceAccelerator.h>
#define SMARTCROP_HAS_ACCELERATOR_EMPTY_CACHE 1
#endif

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

// "" if a small product in `dtype` runs on `device`, else Torch's first error line.
std::string product_problem(const c10::Device& device, at::ScalarType dtype) {
  try {
    c10::InferenceMode guard;
    const at::Tensor a = at::ones({16, 16}, at::TensorOptions().device(device).dtype(dtype));
    return at::matmul(a, a).sum().item<float>() == 16.0f * 256.0f ? "" : "a 16x16 product gave a wrong sum";
  } catch (const std::exception& e) {
    return torch_error_line(e.what());
  }
}

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

// LibTorch 2.x generalised the autocast switches to any device and deprecated the
// per-device ones of 1.13 (2.6's header has both). The new ones are used from 2.6 on,
// the release checked, so that no 2.x release in between is guessed at.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 6)
bool autocast_enabled(c10::DeviceType type) { return at::autocast::is_autocast_enabled(type); }
void enable_autocast(c10::DeviceType type, bool on) { at::autocast::set_autocast_enabled(type, on); }
void set_autocast_dtype(c10::DeviceType type, at::ScalarType dtype) { at::autocast::set_autocast_dtype(type, dtype); }
#else
bool autocast_enabled(c10::DeviceType type) {
  return type == c10::kCPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
}
void enable_autocast(c10::DeviceType type, bool on) {
  if (type == c10::kCPU) {
    at::autocast::set_cpu_enabled(on);
  } else {
    at::autocast::set_enabled(on);
  }
}
void set_autocast_dtype(c10::DeviceType type, at::ScalarType dtype) {
  if (type == c10::kCPU) {
    at::autocast::set_autocast_cpu_dtype(dtype);
  } else {
    at::autocast::set_autocast_gpu_dtype(dtype);
  }
}
#endif

}  // namespace

std::string torch_version() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

CudaFacts cuda_facts() {
  CudaFacts facts;
  facts.has_cuda = libtorch_has_cuda();
  facts.visible = facts.has_cuda ? static_cast<int>(torch::cuda::device_count()) : 0;
  facts.problem = [](const c10::Device& device) { return product_problem(device, at::kFloat); };
  return facts;
}

DeviceChoice choose_device(const std::string& spec, const CudaFacts& facts) {
  const std::string torch_name = "this LibTorch (" + torch_version() + ")";
  if (spec == "cpu") return {c10::Device(c10::kCPU), "device: cpu (--device cpu)", ""};
  if (spec == "auto" || spec.empty()) {
    if (facts.visible > 0) {
      const c10::Device gpu(c10::kCUDA, 0);
      const std::string problem = facts.problem(gpu);
      if (problem.empty()) {
        return {gpu, "device: cuda:0 (--device auto: " + torch_name + " has CUDA and sees " +
                         std::to_string(facts.visible) + " GPU(s))", ""};
      }
      return {c10::Device(c10::kCPU), "device: cpu (--device auto: cuda:0 cannot be used)",
              "--device auto: " + torch_name + " sees " + std::to_string(facts.visible) +
                  " GPU(s) but cannot use cuda:0 (" + problem + "): running on the CPU"};
    }
    return {c10::Device(c10::kCPU), "device: cpu (--device auto: " + torch_name +
                                            (facts.has_cuda ? " has CUDA but sees no GPU)" : " has no CUDA)"), ""};
  }
  int index = 0;
  if (spec != "cuda") {
    const std::string digits = spec.rfind("cuda:", 0) == 0 ? spec.substr(5) : "";
    if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string::npos) {
      throw Error("", "--device " + spec + ": expected auto, cpu, cuda or cuda:N");
    }
    index = std::stoi(digits);
  }
  if (!facts.has_cuda) {
    throw Error("", "--device " + spec + ": " + torch_name +
                        " has no CUDA (a CPU-only build): build the DINO plugin against a CUDA LibTorch "
                        "(README, \"On a GPU\") or use --device cpu");
  }
  if (facts.visible == 0) {
    const char* env = std::getenv("CUDA_VISIBLE_DEVICES");
    throw Error("", "--device " + spec + ": " + torch_name +
                        " has CUDA but sees no GPU (no NVIDIA driver, or none visible" +
                        (env != nullptr ? std::string("; CUDA_VISIBLE_DEVICES=") + env : std::string()) +
                        "); use --device cpu");
  }
  if (index >= facts.visible) {
    throw Error("", "--device " + spec + ": " + std::to_string(facts.visible) + " GPU(s) visible (cuda:0 to cuda:" +
                        std::to_string(facts.visible - 1) + ")");
  }
  const c10::Device gpu(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
  const std::string problem = facts.problem(gpu);
  if (!problem.empty()) {
    throw Error("", "--device " + spec + ": " + torch_name + " cannot run on " + gpu.str() + " (" + problem +
                        "); use --device cpu");
  }
  return {gpu, "device: " + spec, ""};
}

bool says_no_bf16(const std::string& message) {
  // "addmm_cuda" not implemented for 'BFloat16'; cuBLAS refusing a bf16 GEMM on a GPU
  // before Ampere.
  return (contains(message, "BFloat16") && contains(message, "not implemented")) ||
         contains(message, "CUBLAS_STATUS_NOT_SUPPORTED") || contains(message, "CUBLAS_STATUS_ARCH_MISMATCH");
}

bool says_out_of_memory(const std::string& message) {
  return contains(message, "out of memory") || contains(message, "not enough memory") ||
         contains(message, "std::bad_alloc");
}

std::string torch_error_line(const std::string& message) {
  // TorchScript wraps an op's error: "The following operation failed in the TorchScript
  // interpreter.\nTraceback ...\nRuntimeError: <the error>\n" (or another class name, e.g.
  // torch.OutOfMemoryError). Keep the error: the last line that starts "...Error: ".
  std::string text = message;
  if (contains(text, "The following operation failed")) {
    std::size_t end = text.size();
    while (end > 0) {
      const std::size_t start = text.rfind('\n', end - 1);
      const std::size_t from = start == std::string::npos ? 0 : start + 1;
      const std::string line = text.substr(from, end - from);
      const std::size_t colon = line.find("Error: ");
      if (colon != std::string::npos && line.find(' ') > colon) {
        text = line.substr(colon + 7);
        break;
      }
      if (start == std::string::npos) break;
      end = start;
    }
  }
  text.erase(0, text.find_first_not_of(" \n"));
  return text.substr(0, text.find('\n'));
}

Precision gpu_precision(Precision requested, const c10::Device& device) {
  if (requested == Precision::Auto) return Precision::Tf32;
  if (requested != Precision::Bf16) return requested;
  const std::string problem = product_problem(device, at::kBFloat16);
  if (problem.empty()) return Precision::Bf16;
  if (says_no_bf16(problem)) return Precision::Fp16;
  throw Error("", "--precision bf16 on " + device.str() + ": a first bf16 product failed: " + problem);
}

c10::ScalarType dtype_of(Precision precision) {
  switch (precision) {
    case Precision::Bf16: return at::kBFloat16;
    case Precision::Fp16: return at::kHalf;
    default: return at::kFloat;
  }
}

void allow_tf32(bool on) {
  at::globalContext().setAllowTF32CuBLAS(on);
  at::globalContext().setAllowTF32CuDNN(on);
}

void release_device_cache(const c10::Device& device) {
  if (device.is_cpu()) return;
#ifdef SMARTCROP_HAS_ACCELERATOR_EMPTY_CACHE
  at::accelerator::emptyCache();
#endif
}

AutocastScope::AutocastScope(c10::DeviceType type, c10::ScalarType dtype, bool on) : type_(type), on_(on) {
  if (!on_) return;
  was_on_ = autocast_enabled(type_);
  set_autocast_dtype(type_, dtype);
  enable_autocast(type_, true);
}

AutocastScope::~AutocastScope() {
  if (on_) enable_autocast(type_, was_on_);
}

}  // namespace smartcrop

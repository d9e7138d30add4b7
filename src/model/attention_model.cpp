// The only translation unit that includes Torch: keep it that way,
// Torch headers cost a minute of compile time each.
#include "attention_model.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/script.h>
#include <torch/version.h>

#include "install_layout.hpp"
#include "model_file.hpp"
#include "smartcrop/error.hpp"
#include "tensor_memory.hpp"
#include "torch_device.hpp"
#include "torch_model.hpp"

namespace smartcrop {

namespace {

void read_metadata(const std::string& text, ModelInfo& info) {
  auto meta = nlohmann::json::parse(text);
  info.architecture = meta.value("architecture", "unknown");
  info.patch_size = meta.value("patch_size", 16);
  info.heads = meta.value("num_heads", 0);
  const std::string weights = meta.value("weights", "unknown");
  info.random_weights = weights != "official";
  if (weights == "official") {
    info.weights_source = "checkpoint " + meta.value("checkpoint", std::string("?")) + " sha256:" +
                          meta.value("sha256", std::string("?"));
  } else if (weights == "random") {
    auto seed = meta.contains("seed") && !meta["seed"].is_null() ? std::to_string(meta["seed"].get<long long>()) : "?";
    info.weights_source = "RANDOM weights (seed " + seed + ")";
  } else {
    info.weights_source = "unknown weights (" + weights + ")";
  }
  if (meta.contains("optimizations") && meta["optimizations"].is_array()) {
    for (const auto& name : meta["optimizations"]) {
      if (!name.is_string()) continue;
      info.optimizations += (info.optimizations.empty() ? "" : ",") + name.get<std::string>();
    }
  }
}

// For mixed precision: stores the weights of the Linear and Conv2d layers in `dtype`
// once, which is exactly what autocast would otherwise cast them to (and cache) in
// every inference thread: one copy for all workers, cast once. Biases, LayerNorm, the
// position embedding and the CLS token stay fp32; autocast casts the small biases.
// bf16 this way on the CPU (converting the whole module moved a 16:9 crop by 60 px,
// tests/dino/precision_test.cpp), and bf16 or fp16 the same way on a GPU (issue 25:
// the whole module cast moved more boxes than mixed precision, docs/PERFORMANCE.md
// "GPU precision").
void store_matmul_weights(torch::jit::Module& module, at::ScalarType dtype) {
  c10::InferenceMode guard;
  for (const auto& child : module.named_modules()) {
    const auto type = child.value.type()->name();
    if (!type) continue;
    const std::string& name = type->name();
    if (name != "Linear" && name != "Conv2d") continue;
    torch::jit::Module layer = child.value;
    if (!layer.hasattr("weight")) continue;
    const torch::Tensor weight = layer.attr("weight").toTensor();
    if (weight.scalar_type() == torch::kFloat32) layer.register_parameter("weight", weight.to(dtype), false);
  }
}

// "AVX512", "AVX2", ...: the kernels Torch runs, from its build summary.
std::string cpu_kernels_in_use() {
  const std::string config = at::show_config();
  const std::string key = "CPU capability usage: ";
  const size_t at = config.find(key);
  if (at == std::string::npos) return "unknown";
  const size_t end = config.find('\n', at);
  return config.substr(at + key.size(), end == std::string::npos ? std::string::npos : end - at - key.size());
}

// TorchScript's messages start with a newline and go on for lines: the first.
std::string first_line(std::string message) {
  message.erase(0, message.find_first_not_of(" \n"));
  return message.substr(0, message.find('\n'));
}


}  // namespace

std::unique_ptr<AttentionModel> AttentionModel::load(const std::string& path, Precision precision,
                                                     const std::string& device_spec) {
  const DeviceChoice device = choose_device(device_spec);
  const std::string how = "; " + model_advice();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw Error(path, "model file not found" + how);
  if (std::filesystem::is_directory(path, ec)) throw Error(path, "model path is a folder, not a TorchScript file" + how);
  if (!std::filesystem::is_regular_file(path, ec)) throw Error(path, "model path is not a regular file" + how);
  if (::access(path.c_str(), R_OK) != 0) {
    throw Error(path, std::string("cannot read model file: ") + std::strerror(errno) + how);
  }
  const auto start = std::chrono::steady_clock::now();
  prefer_avx512_kernels();
  use_reusing_tensor_allocator();
  // Read before Torch parses the code, so that a file needing a newer LibTorch is
  // refused with the versions rather than a TorchScript parse error.
  const std::string metadata = read_model_metadata_text(path);
  check_runtime_can_run(path, metadata);
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, torch::kCPU);
  } catch (const c10::Error& e) {
    const std::string newer = newer_writer_hint(metadata);
    const std::string reason = first_line(e.what_without_backtrace());
    if (!newer.empty()) throw Error(path, "cannot load model: " + reason + newer);
    throw Error(path, "cannot load model (not a TorchScript file, or corrupt): " + reason + how);
  } catch (const std::exception& e) {  // TorchScript's compile errors, e.g. an operator this LibTorch lacks
    throw Error(path, "cannot load model: " + first_line(e.what()) + newer_writer_hint(metadata));
  }
  module.eval();
  ModelInfo info;
  c10::optional<torch::jit::Module> full;  // the fp32 model beside a half-precision one on a GPU
  info.device = device.device.str();
  info.device_choice = device.line;
  if (!device.warning.empty()) info.warnings.push_back(device.warning);
  if (device.device.is_cpu()) {
    if (precision == Precision::Fp16 || precision == Precision::Tf32) {
      throw Error("", "--precision " + precision_name(precision) + " is for GPUs: on the CPU use bf16 or fp32");
    }
    info.precision = resolve_precision(precision);
    if (info.precision == Precision::Bf16) store_matmul_weights(module, at::kBFloat16);
  } else {
    info.precision = gpu_precision(precision, device.device);
    // TF32 set for fp32 (off) and tf32 (on) only: half precision leaves Torch's defaults (its
    // fp32 copy runs only after an overflow), and newer LibTorch warns about the old switches.
    if (info.precision == Precision::Fp32 || info.precision == Precision::Tf32) {
      allow_tf32(info.precision == Precision::Tf32);
    }
    try {
      if (info.precision == Precision::Bf16 || info.precision == Precision::Fp16) {
        full = module.deepcopy();
        full->to(device.device);
        store_matmul_weights(module, dtype_of(info.precision));
      }
      module.to(device.device);
    } catch (const std::exception& e) {
      throw Error(path, "cannot move the model to " + info.device + ": " + torch_error_line(e.what()));
    }
  }
  info.cpu_kernels = cpu_kernels_in_use();
  info.path = path;
  info.file_bytes = static_cast<std::int64_t>(std::filesystem::file_size(path, ec));
  if (metadata.empty()) {
    info.architecture = "unknown";
    info.weights_source = "unknown weights (no smartcrop metadata in the file)";
  } else {
    try {
      read_metadata(metadata, info);
    } catch (const std::exception& e) {
      throw Error(path, std::string("bad model metadata: ") + e.what());
    }
  }
  info.target = model_target(metadata);
  const std::string mismatch = target_mismatch(path, info.target, info.device);
  if (!mismatch.empty()) info.warnings.push_back(mismatch);
  info.load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return make_torch_model(std::move(module), std::move(info), device.device, std::move(full));
}

int set_torch_threads(int threads) {
  at::set_num_threads(threads > 0 ? threads : available_cores());
  return at::get_num_threads();
}

}  // namespace smartcrop

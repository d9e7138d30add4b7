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
#include <mutex>

#include <nlohmann/json.hpp>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <ATen/autocast_mode.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>
#include <torch/version.h>

#include "install_layout.hpp"
#include "model_file.hpp"
#include "smartcrop/error.hpp"
#include "tensor_memory.hpp"
#include "torch_device.hpp"

namespace smartcrop {

namespace {

// bf16 as mixed precision, through CPU autocast: the matrix products (patch conv,
// Linear layers, QK^T, AV) run in bf16 on weights cast once and then cached for the
// thread; the residual stream and LayerNorm stay fp32. Converting the whole module
// with module.to(kBFloat16) ran no faster here but drifted further from fp32 (per-head
// attention correlation 0.998, one 16:9 crop 60 px off: tests/core/precision_test.cpp).
// LibTorch 2.x generalised the autocast switches to any device and deprecated the
// CPU-only ones of 1.13 (2.6's header has both). The new ones are used from 2.6 on,
// the release checked, so that no 2.x release in between is guessed at.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 6)
bool cpu_autocast_enabled() { return at::autocast::is_autocast_enabled(at::kCPU); }
void enable_cpu_autocast(bool on) { at::autocast::set_autocast_enabled(at::kCPU, on); }
void set_cpu_autocast_dtype(at::ScalarType type) { at::autocast::set_autocast_dtype(at::kCPU, type); }
#else
bool cpu_autocast_enabled() { return at::autocast::is_cpu_enabled(); }
void enable_cpu_autocast(bool on) { at::autocast::set_cpu_enabled(on); }
void set_cpu_autocast_dtype(at::ScalarType type) { at::autocast::set_autocast_cpu_dtype(type); }
#endif

class Bf16Autocast {
 public:
  explicit Bf16Autocast(bool on) : on_(on), was_on_(cpu_autocast_enabled()) {
    if (!on_) return;
    set_cpu_autocast_dtype(at::kBFloat16);
    enable_cpu_autocast(true);
  }
  ~Bf16Autocast() {
    if (on_) enable_cpu_autocast(was_on_);
  }
  Bf16Autocast(const Bf16Autocast&) = delete;
  Bf16Autocast& operator=(const Bf16Autocast&) = delete;

 private:
  bool on_;
  bool was_on_;
};

class TorchAttentionModel final : public AttentionModel {
 public:
  TorchAttentionModel(torch::jit::Module module, ModelInfo info, torch::Device device, torch::Dtype dtype)
      : module_(std::move(module)), info_(std::move(info)), device_(device), dtype_(dtype) {}

  const ModelInfo& info() const override { return info_; }

  HeadAttention forward(const ModelInput& input) override { return std::move(forward_batch({&input}).front()); }

  std::vector<HeadAttention> forward_batch(const std::vector<const ModelInput*>& inputs) override {
    if (inputs.empty()) return {};
    const int height = inputs.front()->height;
    const int width = inputs.front()->width;
    for (const ModelInput* input : inputs) {
      if (input->height != height || input->width != width) {
        throw Error(info_.path, "a batch needs inputs of one shape");
      }
    }
    c10::InferenceMode guard;
    const auto batch = static_cast<std::int64_t>(inputs.size());
    torch::Tensor out;
    try {
      out = run(to_tensor(inputs, height, width));
    } catch (const c10::Error& e) {
      throw Error(info_.path, std::string("model forward failed: ") + e.what_without_backtrace());
    }
    if (out.dim() != 4 || out.size(0) != batch || out.size(2) != height / info_.patch_size ||
        out.size(3) != width / info_.patch_size) {
      throw Error(info_.path, "model returned shape " + c10::str(out.sizes()) +
                                  ", expected [batch, heads, H/16, W/16] CLS attention");
    }
    std::vector<HeadAttention> attentions(inputs.size());
    const std::int64_t per_photo = out.numel() / batch;
    for (std::int64_t b = 0; b < batch; ++b) {
      HeadAttention& attention = attentions[static_cast<std::size_t>(b)];
      attention.heads = static_cast<int>(out.size(1));
      attention.grid_height = static_cast<int>(out.size(2));
      attention.grid_width = static_cast<int>(out.size(3));
      const float* first = out.data_ptr<float>() + b * per_photo;
      attention.values.assign(first, first + per_photo);
    }
    return attentions;
  }

 private:
  bool on_cpu() const { return device_.is_cpu(); }

  // One input as it is on the CPU, several copied side by side; on a GPU through
  // pinned memory, copied asynchronously (the forward is queued behind the copy).
  torch::Tensor to_tensor(const std::vector<const ModelInput*>& inputs, int height, int width) const {
    const auto batch = static_cast<std::int64_t>(inputs.size());
    if (on_cpu() && batch == 1) {
      return torch::from_blob(const_cast<float*>(inputs.front()->chw.ptr<float>()), {1, 3, height, width},
                              torch::kFloat32);
    }
    torch::Tensor host = torch::empty({batch, 3, height, width},
                                      torch::TensorOptions().dtype(torch::kFloat32).pinned_memory(!on_cpu()));
    const std::size_t bytes = 3 * static_cast<std::size_t>(height) * static_cast<std::size_t>(width) * sizeof(float);
    for (std::int64_t b = 0; b < batch; ++b) {
      std::memcpy(static_cast<char*>(host.data_ptr()) + b * bytes, inputs[static_cast<std::size_t>(b)]->chw.ptr<float>(),
                  bytes);
    }
    if (on_cpu()) return host;
    return host.to(device_, /*non_blocking=*/true).to(dtype_);
  }

  // The model's forward, CLS attention as float32 on the CPU.
  torch::Tensor run(const torch::Tensor& input) {
    if (on_cpu()) {
      Bf16Autocast bf16(info_.precision == Precision::Bf16);
      return module_.forward({input}).toTensor().to(torch::kFloat32).contiguous();
    }
    return module_.forward({input}).toTensor().to(torch::kFloat32).to(torch::kCPU).contiguous();
  }

  torch::jit::Module module_;
  ModelInfo info_;
  torch::Device device_;
  torch::Dtype dtype_;
};

void read_metadata(const std::string& text, ModelInfo& info) {
  auto meta = nlohmann::json::parse(text);
  info.architecture = meta.value("architecture", "unknown");
  info.patch_size = meta.value("patch_size", 16);
  info.heads = meta.value("num_heads", 0);
  const std::string weights = meta.value("weights", "unknown");
  info.random_weights = weights != "official";
  if (weights == "official") {
    info.weights_source = "official checkpoint " + meta.value("checkpoint", std::string("?")) + " sha256:" +
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

// For bf16: stores the weights of the Linear and Conv2d layers in bf16 once, which
// is exactly what autocast would otherwise cast them to (and cache) in every
// inference thread: one copy for all workers, cast once. Biases, LayerNorm, the
// position embedding and the CLS token stay fp32; autocast casts the small biases.
void store_matmul_weights_in_bf16(torch::jit::Module& module) {
  c10::InferenceMode guard;
  for (const auto& child : module.named_modules()) {
    const auto type = child.value.type()->name();
    if (!type) continue;
    const std::string& name = type->name();
    if (name != "Linear" && name != "Conv2d") continue;
    torch::jit::Module layer = child.value;
    if (!layer.hasattr("weight")) continue;
    const torch::Tensor weight = layer.attr("weight").toTensor();
    if (weight.scalar_type() == torch::kFloat32) layer.register_parameter("weight", weight.to(torch::kBFloat16), false);
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

// TorchScript's default (profiling) executor instruments the first call, re-optimises
// the graph on the second and guards on shapes after that; with the ViT-S/16 at 64 px
// that cost 350 + 73 ms on the first two calls and ~30 ms per call after, against
// 165-240 + 20 ms and ~20 ms unoptimised (docs/PERFORMANCE.md). The graph is a chain
// of matrix products that graph passes cannot improve, so skip them.
void configure_graph_executor() {
  static std::once_flag once;
  std::call_once(once, [] { torch::jit::setGraphExecutorOptimize(false); });
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
  configure_graph_executor();
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
  info.device = device.device.str();
  info.device_choice = device.line;
  torch::Dtype dtype = torch::kFloat32;
  if (device.device.is_cpu()) {
    if (precision == Precision::Fp16) throw Error("", "--precision fp16 is for GPUs: on the CPU use bf16 or fp32");
    info.precision = resolve_precision(precision);
    if (info.precision == Precision::Bf16) store_matmul_weights_in_bf16(module);
  } else {
    info.precision = gpu_precision(precision, device.device);
    dtype = dtype_of(info.precision);
    try {
      module.to(device.device, dtype);
    } catch (const c10::Error& e) {
      std::string reason = e.what_without_backtrace();
      throw Error(path, "cannot move the model to " + info.device + ": " + reason.substr(0, reason.find('\n')));
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
  info.load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return std::make_unique<TorchAttentionModel>(std::move(module), std::move(info), device.device, dtype);
}

int set_torch_threads(int threads) {
  at::set_num_threads(threads > 0 ? threads : available_cores());
  return at::get_num_threads();
}

}  // namespace smartcrop

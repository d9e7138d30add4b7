// The only translation unit that includes Torch: keep it that way,
// Torch headers cost a minute of compile time each.
#include "smartcrop/attention_model.hpp"

#include <sched.h>

#include <chrono>
#include <thread>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <ATen/Parallel.h>
#include <torch/script.h>

#include "smartcrop/error.hpp"

namespace smartcrop {

namespace {

constexpr const char* kMetadataFile = "smartcrop_model.json";

class TorchAttentionModel final : public AttentionModel {
 public:
  TorchAttentionModel(torch::jit::Module module, ModelInfo info) : module_(std::move(module)), info_(std::move(info)) {}

  const ModelInfo& info() const override { return info_; }

  HeadAttention forward(const ModelInput& input) override {
    c10::InferenceMode guard;
    auto tensor = torch::from_blob(const_cast<float*>(input.chw.ptr<float>()),
                                   {1, 3, input.height, input.width}, torch::kFloat32);
    torch::Tensor out;
    try {
      out = module_.forward({tensor}).toTensor().to(torch::kFloat32).contiguous();
    } catch (const c10::Error& e) {
      throw Error(info_.path, std::string("model forward failed: ") + e.what_without_backtrace());
    }
    if (out.dim() != 4 || out.size(0) != 1 || out.size(2) != input.height / info_.patch_size ||
        out.size(3) != input.width / info_.patch_size) {
      throw Error(info_.path, "model returned shape " + c10::str(out.sizes()) +
                                  ", expected [1, heads, H/16, W/16] CLS attention");
    }
    HeadAttention attention;
    attention.heads = static_cast<int>(out.size(1));
    attention.grid_height = static_cast<int>(out.size(2));
    attention.grid_width = static_cast<int>(out.size(3));
    attention.values.assign(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
    return attention;
  }

 private:
  torch::jit::Module module_;
  ModelInfo info_;
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
}

}  // namespace

std::unique_ptr<AttentionModel> AttentionModel::load(const std::string& path) {
  const char* how = "; get one with: /usr/bin/python3 scripts/export_model.py (see models/README.md)";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw Error(path, std::string("model file not found") + how);
  if (std::filesystem::is_directory(path, ec)) throw Error(path, "model path is a folder, not a TorchScript file");
  const auto start = std::chrono::steady_clock::now();
  torch::jit::ExtraFilesMap extra{{kMetadataFile, ""}};
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, torch::kCPU, extra);
  } catch (const c10::Error& e) {
    std::string reason = e.what_without_backtrace();
    reason = reason.substr(0, reason.find('\n'));
    throw Error(path, "cannot load model (not a TorchScript file, or corrupt): " + reason);
  } catch (const std::exception& e) {
    throw Error(path, std::string("cannot load model: ") + e.what());
  }
  module.eval();
  ModelInfo info;
  info.path = path;
  info.file_bytes = static_cast<std::int64_t>(std::filesystem::file_size(path, ec));
  if (extra[kMetadataFile].empty()) {
    info.architecture = "unknown";
    info.weights_source = "unknown weights (no smartcrop metadata in the file)";
  } else {
    try {
      read_metadata(extra[kMetadataFile], info);
    } catch (const std::exception& e) {
      throw Error(path, std::string("bad model metadata: ") + e.what());
    }
  }
  info.load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return std::make_unique<TorchAttentionModel>(std::move(module), std::move(info));
}

int set_torch_threads(int threads) {
  if (threads <= 0) {
    // The cores this process may run on (cgroup/taskset aware), not the machine's.
    cpu_set_t set;
    threads = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set)
                                                           : static_cast<int>(std::thread::hardware_concurrency());
    threads = std::max(1, threads);
  }
  at::set_num_threads(threads);
  return at::get_num_threads();
}

}  // namespace smartcrop

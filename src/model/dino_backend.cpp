#include "dino_backend.hpp"

#include <chrono>

#include <fmt/format.h>

#include "smartcrop/error.hpp"

namespace smartcrop {

namespace {

// A partial batch waits this long for more photos of its shape before it goes.
constexpr std::chrono::milliseconds kMaxBatchWait{50};
constexpr int kGpuBatchSize = 32;

}  // namespace

DinoBackend::DinoBackend(std::shared_ptr<AttentionModel> model, SaliencyParams params)
    : model_(std::move(model)), params_(params), shared_(std::make_shared<Shared>()) {
  const bool gpu = model_->info().device != "cpu";
  params_.batch_size = params_.batch_size > 0 ? params_.batch_size : gpu ? kGpuBatchSize : 1;
  if (params_.batch_size > 1) {
    BatcherOptions options;
    options.batch_size = params_.batch_size;
    options.max_wait = kMaxBatchWait;
    options.torch_threads = params_.threads;
    shared_->batcher = std::make_shared<ForwardBatcher>(model_, options);
  }
  batcher_ = shared_->batcher.get();
}

DinoBackend::DinoBackend(std::shared_ptr<AttentionModel> model, SaliencyParams params, std::shared_ptr<Shared> shared)
    : model_(std::move(model)), params_(params), shared_(std::move(shared)), batcher_(shared_->batcher.get()) {}

DinoBackend::~DinoBackend() { done_computing(); }

std::unique_ptr<SaliencyBackend> DinoBackend::fork() const {
  return std::unique_ptr<SaliencyBackend>(new DinoBackend(model_, params_, shared_));
}

void DinoBackend::done_computing() {
  if (!open_) return;
  open_ = false;
  batcher_->close();
}

std::vector<std::string> DinoBackend::take_warnings() {
  std::vector<std::string> taken = model_->take_warnings();
  if (batcher_ != nullptr) {
    std::vector<std::string> more = batcher_->take_warnings();
    taken.insert(taken.end(), more.begin(), more.end());
  }
  std::lock_guard<std::mutex> lock(shared_->warnings_mutex);
  taken.insert(taken.end(), shared_->warnings.begin(), shared_->warnings.end());
  shared_->warnings.clear();
  return taken;
}

HeadAttention DinoBackend::forward_alone(const ModelInput& input) {
  try {
    std::shared_lock<std::shared_mutex> side_by_side(shared_->forwards);
    return model_->forward(input);
  } catch (const ModelOutOfMemory& e) {
    // Other workers' forwards held memory too: once more with none beside it.
    std::unique_lock<std::shared_mutex> alone(shared_->forwards);
    model_->release_cached_memory();
    {
      std::lock_guard<std::mutex> lock(shared_->warnings_mutex);
      shared_->warnings.push_back(model_->info().device + " ran out of memory at " + std::to_string(input.width) +
                                  "x" + std::to_string(input.height) + " beside other forwards (" + e.reason() +
                                  "): tried again alone");
    }
    try {
      return model_->forward(input);
    } catch (const ModelOutOfMemory& again) {
      throw Error("", "out of memory on " + model_->info().device + " even alone at " + std::to_string(input.width) +
                          "x" + std::to_string(input.height) + " (" + again.reason() + ")");
    }
  }
}

std::string DinoBackend::description() const {
  const auto& info = model_->info();
  return info.architecture + " " + info.path + " (" + info.weights_source + ")";
}

void DinoBackend::use_threads(int threads) {
  if (!batcher_) set_torch_threads(threads);
}

BackendReport DinoBackend::report() const {
  const ModelInfo& info = model_->info();
  BackendReport report;
  report.info = fmt::format("loaded model {} ({}, {} heads, {:.1f} MB, {}, {} kernels) in {:.0f} ms, {} threads, "
                            "on {}, batches of {}; weights: {}",
                            info.path, info.architecture, info.heads, info.file_bytes / 1e6,
                            precision_name(info.precision), info.cpu_kernels, info.load_ms,
                            params_.threads > 0 ? params_.threads : available_cores(), info.device,
                            params_.batch_size, info.weights_source);
  report.notes.push_back(info.device_choice);
  report.warnings.insert(report.warnings.end(), info.warnings.begin(), info.warnings.end());
  if (info.random_weights) {
    report.warnings.push_back(fmt::format(
        "model {} has {}: its crops say nothing about the photo (for tests and benchmarks only)", info.path,
        info.weights_source));
  }
  if (info.device == "cpu" && info.precision == Precision::Bf16 && !cpu_has_native_bf16()) {
    report.warnings.push_back(
        "this CPU has no native bf16 (avx512_bf16/amx_bf16): --precision bf16 is emulated and slower than fp32");
  }
  if (using_reference_blas()) {
    report.warnings.push_back("running on the reference BLAS, 20x slower than OpenBLAS: run scripts/setup.sh or "
                              "'apt-get install libopenblas0-openmp'");
  }
  return report;
}

SaliencyResult DinoBackend::compute(const cv::Mat& bgr, const std::string& path) {
  const auto start = std::chrono::steady_clock::now();
  const int patch = model_->info().patch_size;
  ModelInput input;
  try {
    input = prepare_model_input(bgr, params_.input_size, patch, model_->input_format());
  } catch (const Error& e) {
    throw Error(path, e.reason());
  }
  if (batcher_) {
    if (!open_) {
      batcher_->open();
      open_ = true;
    }
    last_heads_ = batcher_->forward(input);
  } else {
    last_heads_ = forward_alone(input);
  }

  SaliencyResult result;
  ScoreMap grid = combine_heads(last_heads_, params_.head_threshold);
  grid.scale_x = static_cast<double>(bgr.cols) / input.resized_width * patch;
  grid.scale_y = static_cast<double>(bgr.rows) / input.resized_height * patch;
  result.attention = upsample_nearest(grid, patch);
  const int window = scaled_blur_window(params_.blur_px, std::min(input.resized_width, input.resized_height));
  result.score = box_blur(result.attention, window);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace smartcrop

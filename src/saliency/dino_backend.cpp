#include "smartcrop/dino_backend.hpp"

#include <chrono>

#include "smartcrop/error.hpp"

namespace smartcrop {

DinoBackend::DinoBackend(std::shared_ptr<AttentionModel> model, SaliencyParams params)
    : model_(std::move(model)), params_(params) {}

std::unique_ptr<SaliencyBackend> DinoBackend::fork() const { return std::make_unique<DinoBackend>(model_, params_); }

std::string DinoBackend::description() const {
  const auto& info = model_->info();
  return info.architecture + " " + info.path + " (" + info.weights_source + ")";
}

SaliencyResult DinoBackend::compute(const cv::Mat& bgr, const std::string& path) {
  const auto start = std::chrono::steady_clock::now();
  const int patch = model_->info().patch_size;
  ModelInput input;
  try {
    input = prepare_model_input(bgr, params_.input_size, patch);
  } catch (const Error& e) {
    throw Error(path, e.reason());
  }
  last_heads_ = model_->forward(input);

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

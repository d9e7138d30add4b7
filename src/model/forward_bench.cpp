#include "forward_bench.hpp"

#include <chrono>
#include <map>
#include <set>
#include <utility>

namespace smartcrop {

ForwardBenchResult bench_forward(AttentionModel& model, const std::vector<cv::Mat>& photos, int input_size,
                                 int repeats, int batch_size) {
  ForwardBenchResult result;
  result.batch_size = std::max(1, batch_size);
  result.device = model.info().device;
  std::vector<ModelInput> inputs;
  inputs.reserve(photos.size());
  for (const cv::Mat& photo : photos) inputs.push_back(prepare_model_input(photo, input_size, model.info().patch_size, model.input_format()));
  // Photos in input order within each shape, as the batcher takes them.
  std::map<std::pair<int, int>, std::vector<const ModelInput*>> by_shape;
  for (const ModelInput& input : inputs) by_shape[{input.height, input.width}].push_back(&input);
  std::vector<std::vector<const ModelInput*>> batches;
  for (const auto& [shape, members] : by_shape) {
    for (std::size_t i = 0; i < members.size(); i += static_cast<std::size_t>(result.batch_size)) {
      const auto end = std::min(members.size(), i + static_cast<std::size_t>(result.batch_size));
      batches.emplace_back(members.begin() + static_cast<std::ptrdiff_t>(i),
                           members.begin() + static_cast<std::ptrdiff_t>(end));
    }
  }
  if (result.device != "cpu") {
    std::set<std::pair<int, int>> warmed;
    for (const auto& batch : batches) {
      if (warmed.insert({batch.front()->height, batch.front()->width}).second) model.forward_batch(batch);
    }
  }
  double total = 0.0;
  for (const auto& batch : batches) {
    for (int i = 0; i < repeats; ++i) {
      const auto start = std::chrono::steady_clock::now();
      model.forward_batch(batch);
      total += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      ++result.forwards;
      result.photos += static_cast<int>(batch.size());
    }
  }
  result.seconds = total;
  result.seconds_per_forward = result.forwards > 0 ? total / result.forwards : 0.0;
  return result;
}

}  // namespace smartcrop

#include "forward_bench.hpp"

#include <chrono>

namespace smartcrop {

ForwardBenchResult bench_forward(AttentionModel& model, const std::vector<cv::Mat>& photos, int input_size,
                                 int repeats) {
  ForwardBenchResult result;
  double total = 0.0;
  for (const cv::Mat& photo : photos) {
    const ModelInput input = prepare_model_input(photo, input_size, model.info().patch_size);
    for (int i = 0; i < repeats; ++i) {
      const auto start = std::chrono::steady_clock::now();
      model.forward(input);
      total += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      ++result.forwards;
    }
  }
  result.seconds_per_forward = result.forwards > 0 ? total / result.forwards : 0.0;
  return result;
}

}  // namespace smartcrop

// The built-in, model-free saliency backend. First version: OpenCV's fine-grained
// static saliency at the analysis size; to be chosen by measurement (issue 5).
#include <chrono>
#include <cmath>

#include <opencv2/imgproc.hpp>
#include <opencv2/saliency.hpp>

#include "smartcrop/backend_factory.hpp"
#include "smartcrop/error.hpp"

namespace smartcrop {

namespace {

class BuiltinSaliencyBackend final : public SaliencyBackend {
 public:
  explicit BuiltinSaliencyBackend(SaliencyParams params) : params_(params) {}
  std::string name() const override { return "saliency"; }
  std::string description() const override { return "built-in OpenCV fine-grained saliency"; }

  SaliencyResult compute(const cv::Mat& bgr, const std::string& path) override {
    const auto start = std::chrono::steady_clock::now();
    const double scale = static_cast<double>(params_.input_size) / std::min(bgr.cols, bgr.rows);
    const int w = std::max(1, static_cast<int>(std::floor(bgr.cols * scale + 0.5)));
    const int h = std::max(1, static_cast<int>(std::floor(bgr.rows * scale + 0.5)));
    cv::Mat small;
    cv::resize(bgr, small, cv::Size(w, h), 0, 0, scale < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR);
    cv::Mat saliency;
    auto detector = cv::saliency::StaticSaliencyFineGrained::create();
    if (!detector->computeSaliency(small, saliency)) throw Error(path, "saliency computation failed");
    cv::Mat floats;
    saliency.convertTo(floats, CV_32F, saliency.depth() == CV_8U ? 1.0 / 255.0 : 1.0);

    SaliencyResult result;
    result.attention = ScoreMap(w, h, static_cast<double>(bgr.cols) / w, static_cast<double>(bgr.rows) / h);
    for (int y = 0; y < h; ++y) {
      const float* row = floats.ptr<float>(y);
      std::copy(row, row + w, result.attention.values.begin() + static_cast<std::ptrdiff_t>(y) * w);
    }
    result.score = box_blur(result.attention, scaled_blur_window(params_.blur_px, std::min(w, h)));
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  }

 private:
  SaliencyParams params_;
};

}  // namespace

std::unique_ptr<SaliencyBackend> make_builtin_saliency_backend(const SaliencyParams& params) {
  return std::make_unique<BuiltinSaliencyBackend>(params);
}

}  // namespace smartcrop

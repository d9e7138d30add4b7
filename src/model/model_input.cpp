#include <cmath>

#include <opencv2/imgproc.hpp>

#include "attention_model.hpp"
#include "smartcrop/error.hpp"

namespace smartcrop {

const float kImageNetMean[3] = {0.485f, 0.456f, 0.406f};
const float kImageNetStd[3] = {0.229f, 0.224f, 0.225f};

ModelInput prepare_model_input(const cv::Mat& bgr, int input_size, int patch_size, InputFormat format) {
  if (bgr.empty() || bgr.type() != CV_8UC3) throw Error("", "prepare_model_input needs an 8-bit BGR image");
  const double scale = static_cast<double>(input_size) / std::min(bgr.cols, bgr.rows);
  ModelInput input;
  input.resized_width = static_cast<int>(std::floor(bgr.cols * scale + 0.5));
  input.resized_height = static_cast<int>(std::floor(bgr.rows * scale + 0.5));
  input.width = input.resized_width / patch_size * patch_size;
  input.height = input.resized_height / patch_size * patch_size;
  if (input.width < patch_size || input.height < patch_size) {
    throw Error("", "image too small to analyse: " + std::to_string(bgr.cols) + "x" + std::to_string(bgr.rows));
  }
  cv::Mat resized;
  cv::resize(bgr, resized, cv::Size(input.resized_width, input.resized_height), 0, 0,
             scale < 1.0 ? cv::INTER_AREA : cv::INTER_CUBIC);
  cv::Mat rgb;
  cv::cvtColor(resized(cv::Rect(0, 0, input.width, input.height)), rgb, cv::COLOR_BGR2RGB);
  if (format == InputFormat::Bytes) {
    input.rgb = rgb;
    return input;
  }
  cv::Mat floats;
  rgb.convertTo(floats, CV_32FC3, 1.0 / 255.0);  // OpenCV scales by float(1/255): kPixelScale

  input.chw.create(3 * input.height, input.width, CV_32F);
  for (int y = 0; y < input.height; ++y) {
    const float* src = floats.ptr<float>(y);
    for (int c = 0; c < 3; ++c) {
      float* dst = input.chw.ptr<float>(c * input.height + y);
      for (int x = 0; x < input.width; ++x) dst[x] = (src[3 * x + c] - kImageNetMean[c]) / kImageNetStd[c];
    }
  }
  return input;
}

}  // namespace smartcrop

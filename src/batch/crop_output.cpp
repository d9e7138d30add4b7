#include "crop_output.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>

#include <opencv2/imgproc.hpp>

namespace smartcrop {

namespace {

bool keeps_original(const cv::Mat& original, const std::string& output_path) {
  std::string ext = std::filesystem::path(output_path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".png" || ext == ".tif" || ext == ".tiff") {
    return original.depth() == CV_8U || original.depth() == CV_16U;
  }
  if (ext == ".webp") return original.depth() == CV_8U && original.channels() == 4;
  return false;
}

}  // namespace

cv::Size resized_dimensions(int width, int height, const OutputSize& size) {
  if (size.width <= 0 || width <= 0 || height <= 0) return {width, height};
  const double ratio = static_cast<double>(width) / height;
  if (size.height <= 0) {
    return {size.width, std::max(1, static_cast<int>(std::lround(size.width / ratio)))};
  }
  // Fit inside the box, keeping the crop's ratio exact.
  if (static_cast<double>(size.width) / size.height <= ratio) {
    return {size.width, std::max(1, static_cast<int>(std::lround(size.width / ratio)))};
  }
  return {std::max(1, static_cast<int>(std::lround(size.height * ratio))), size.height};
}

cv::Mat crop_for_output(const DecodedImage& image, const Box& box, const std::string& output_path,
                        const OutputSize& size) {
  const cv::Mat& source = keeps_original(image.original, output_path) ? image.original : image.pixels;
  cv::Mat cut = source(cv::Rect(box.x, box.y, box.width, box.height));
  const cv::Size target = resized_dimensions(box.width, box.height, size);
  if (target == cut.size()) return cut;  // a view: the encoder reads it row by row
  cv::Mat resized;
  const bool shrinking = target.width < cut.cols;
  cv::resize(cut, resized, target, 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_CUBIC);
  return resized;
}

}  // namespace smartcrop

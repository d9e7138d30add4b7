#pragma once
// Shrinking by pixel area (cv::INTER_AREA) as OpenCV 4.6 does it, faster.

#include <opencv2/core.hpp>

namespace smartcrop {

// Returns `src` (8-bit, 1 to 4 channels) shrunk to `size`, the same bytes as
// cv::resize(src, out, size, 0, 0, cv::INTER_AREA): the built-in backend's
// analysis copy, whose maps the learned window model was fitted on. Sizes
// OpenCV handles another way (integer factors, no shrinking, other types) go to
// cv::resize itself.
cv::Mat area_downscale(const cv::Mat& src, cv::Size size);

}  // namespace smartcrop

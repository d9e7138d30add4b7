// OpenCV's implementation passes a cv::Mat by value and reads through at<>()
// for each pixel of each of its six scales: 14 ms of the built-in backend's
// 24 ms CPU on a 1 MP photo (docs/PERFORMANCE.md, "Built-in backend per
// megapixel"). This one walks rows with pointers and clamps once per row and
// column, but keeps every arithmetic step of the original in the same type and
// order (float box sums from a float integral image, double rescaling,
// truncating casts), so the bytes match; core_tests compares the two.
#include "saliency/fine_grained.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace smartcrop {

namespace {

// Half-widths of the centre-surround boxes, as in the original (3 and 7, times 4, 8, 16).
constexpr std::array<int, 6> kNeighbourhoods = {12, 24, 48, 28, 56, 112};

// Adds one pixel's on and off values (how much brighter and darker it is than
// `box`, the sum over its box of `area` pixels, itself included), truncated to
// 8 bits as the original's (uchar) cast of a float does on x86.
inline void add_on_off(float box, int area, int centre_value, std::uint16_t& on, std::uint16_t& off) {
  const float mean = (box - static_cast<float>(centre_value)) / static_cast<float>(area - 1);
  const float brighter = static_cast<float>(centre_value) - mean;
  const float darker = mean - static_cast<float>(centre_value);
  on = static_cast<std::uint16_t>(on + (brighter > 0 ? static_cast<std::uint8_t>(static_cast<int>(brighter)) : 0));
  off = static_cast<std::uint16_t>(off + (darker > 0 ? static_cast<std::uint8_t>(static_cast<int>(darker)) : 0));
}

// Adds, for every pixel, how much brighter (on) and darker (off) it is than the
// mean of its box of half-width n into the on/off sums. The box covers
// integral-image columns [x - n + 1, x + n + 1), clamped to the table; the
// columns where neither end is clamped run as one loop the compiler vectorises.
void add_scale(const cv::Mat& grey, const cv::Mat& integral, int n, std::vector<std::uint16_t>& on_sum,
               std::vector<std::uint16_t>& off_sum) {
  const int cols = grey.cols, rows = grey.rows;
  const int inner_begin = std::min(cols, n - 1), inner_end = std::max(inner_begin, cols - n);
  for (int y = 0; y < rows; ++y) {
    const int top = std::max(0, y - n + 1), bottom = std::min(rows, y + n + 1);
    const float* upper = integral.ptr<float>(top);
    const float* lower = integral.ptr<float>(bottom);
    const std::uint8_t* centre = grey.ptr<std::uint8_t>(y);
    std::uint16_t* on = on_sum.data() + static_cast<std::size_t>(y) * cols;
    std::uint16_t* off = off_sum.data() + static_cast<std::size_t>(y) * cols;
    const int height = bottom - top;
    const auto clamped = [&](int x) {
      const int x1 = std::max(0, x - n + 1), x2 = std::min(cols, x + n + 1);
      add_on_off(lower[x2] + upper[x1] - lower[x1] - upper[x2], (x2 - x1) * height, centre[x], on[x], off[x]);
    };
    for (int x = 0; x < inner_begin; ++x) clamped(x);
    const int inner_area = 2 * n * height;
    for (int x = inner_begin; x < inner_end; ++x) {
      const int x1 = x - n + 1, x2 = x + n + 1;
      add_on_off(lower[x2] + upper[x1] - lower[x1] - upper[x2], inner_area, centre[x], on[x], off[x]);
    }
    for (int x = inner_end; x < cols; ++x) clamped(x);
  }
}

// The original's 8-bit rescaling: (uchar)(255. * (float)(v / (float)max)),
// a double truncated through int; 0 where max is 0 (the original divides 0 by 0,
// which x86 turns into 0 as well).
std::vector<std::uint8_t> rescale_sums(const std::vector<std::uint16_t>& sums) {
  const int max_sum = sums.empty() ? 0 : *std::max_element(sums.begin(), sums.end());
  std::vector<std::uint8_t> out(sums.size(), 0);
  if (max_sum == 0) return out;
  const float max_value = static_cast<float>(max_sum);
  for (std::size_t i = 0; i < sums.size(); ++i) {
    const float share = static_cast<float>(sums[i]) / max_value;
    out[i] = static_cast<std::uint8_t>(static_cast<int>(255.0 * static_cast<double>(share)));
  }
  return out;
}

}  // namespace

cv::Mat fine_grained_saliency(const cv::Mat& image) {
  CV_Assert(image.depth() == CV_8U && (image.channels() == 3 || image.channels() == 1));
  cv::Mat grey;
  if (image.channels() == 3) {
    cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
  } else {
    grey = image.clone();
  }
  // Smoothed twice, as Frintrop and Itti do.
  cv::GaussianBlur(grey, grey, cv::Size(3, 3), 0, 0);
  cv::GaussianBlur(grey, grey, cv::Size(3, 3), 0, 0);
  cv::Mat integral;
  cv::integral(grey, integral, CV_32F);

  const std::size_t count = static_cast<std::size_t>(grey.cols) * grey.rows;
  std::vector<std::uint16_t> on_sum(count, 0), off_sum(count, 0);
  for (const int n : kNeighbourhoods) add_scale(grey, integral, n, on_sum, off_sum);
  const std::vector<std::uint8_t> on = rescale_sums(on_sum), off = rescale_sums(off_sum);

  // On and off together, scaled by the larger of their maxima; the sum can pass
  // 255 and then wraps, as the original's (uchar) cast of an int does on x86.
  int max_value = 0;
  for (std::size_t i = 0; i < count; ++i) max_value = std::max({max_value, int{on[i]}, int{off[i]}});
  cv::Mat bytes(grey.size(), CV_8UC1, cv::Scalar(0));
  if (max_value > 0) {
    const double divisor = static_cast<double>(static_cast<float>(max_value));
    auto* dst = bytes.ptr<std::uint8_t>(0);  // continuous: freshly allocated
    for (std::size_t i = 0; i < count; ++i) {
      const double scaled = 255.0 * static_cast<double>(on[i] + off[i]) / divisor;
      dst[i] = static_cast<std::uint8_t>(static_cast<int>(scaled));
    }
  }
  cv::Mat out;
  bytes.convertTo(out, CV_32F, 1.0f / 255.0f);  // OpenCV 4.6 hands out [0, 1], scaled by this float
  return out;
}

}  // namespace smartcrop

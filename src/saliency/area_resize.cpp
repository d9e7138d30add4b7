// cv::resize(INTER_AREA) at a non-integer factor sums each output pixel's source
// cells with float weights, one source row at a time, accumulating into a row
// buffer in memory (a store and reload per source pixel and channel), and redoes
// the horizontal pass of a source row shared by two output rows: 4.5 ms of a
// 1 MP photo, a third of the built-in backend's CPU time (docs/PERFORMANCE.md,
// "Built-in backend per megapixel"). This keeps OpenCV's weights (computed the
// same way, in double, stored as float) and its order of float operations per
// output value, so the bytes match (core_tests compares them), but accumulates
// in registers and does each source row's horizontal pass once.
#include "saliency/area_resize.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace smartcrop {

namespace {

// One source cell's share of one output pixel, as OpenCV's DecimateAlpha.
struct AreaWeight {
  int source;   // source pixel (column or row)
  float alpha;  // its weight
};

// For every output pixel along one axis, its source cells and weights in
// OpenCV's order (computeResizeAreaTab): the partial cell on the left, the whole
// ones, the partial one on the right; `first[d]` indexes the first of pixel d's.
void area_weights(int source_size, int output_size, double scale, std::vector<AreaWeight>& weights,
                  std::vector<int>& first) {
  weights.clear();
  first.assign(static_cast<std::size_t>(output_size) + 1, 0);
  for (int d = 0; d < output_size; ++d) {
    first[d] = static_cast<int>(weights.size());
    const double start = d * scale;
    const double end = start + scale;
    const double cell = std::min(scale, source_size - start);
    int whole_begin = cvCeil(start), whole_end = cvFloor(end);
    whole_end = std::min(whole_end, source_size - 1);
    whole_begin = std::min(whole_begin, whole_end);
    if (whole_begin - start > 1e-3) {
      weights.push_back({whole_begin - 1, static_cast<float>((whole_begin - start) / cell)});
    }
    for (int s = whole_begin; s < whole_end; ++s) weights.push_back({s, static_cast<float>(1.0 / cell)});
    if (end - whole_end > 1e-3) {
      weights.push_back({whole_end, static_cast<float>(std::min(std::min(end - whole_end, 1.0), cell) / cell)});
    }
  }
  first[output_size] = static_cast<int>(weights.size());
}

// The horizontal pass of one source row: out[d * cn + c] = sum of its cells'
// source[c] * alpha, added from 0 in the weights' order, in float.
template <int cn>
void horizontal_pass(const std::uint8_t* row, const std::vector<AreaWeight>& weights, const std::vector<int>& first,
                     int output_width, float* out) {
  for (int d = 0; d < output_width; ++d) {
    float acc[cn] = {};
    for (int k = first[d]; k < first[d + 1]; ++k) {
      const std::uint8_t* px = row + weights[k].source * cn;
      const float alpha = weights[k].alpha;
      for (int c = 0; c < cn; ++c) acc[c] = acc[c] + static_cast<float>(px[c]) * alpha;
    }
    for (int c = 0; c < cn; ++c) out[d * cn + c] = acc[c];
  }
}

template <int cn>
void area_downscale_rows(const cv::Mat& src, cv::Mat& dst, double scale_x, double scale_y) {
  std::vector<AreaWeight> xw, yw;
  std::vector<int> x_first, y_first;
  area_weights(src.cols, dst.cols, scale_x, xw, x_first);
  area_weights(src.rows, dst.rows, scale_y, yw, y_first);
  const int width = dst.cols * cn;
  // A source row on the boundary of two output rows is the last of one and the
  // first of the next: its horizontal pass is kept for the second.
  std::vector<float> row(width), sum(width);
  int row_source = -1;
  for (int dy = 0; dy < dst.rows; ++dy) {
    for (int k = y_first[dy]; k < y_first[dy + 1]; ++k) {
      if (yw[k].source != row_source) {
        horizontal_pass<cn>(src.ptr<std::uint8_t>(yw[k].source), xw, x_first, dst.cols, row.data());
        row_source = yw[k].source;
      }
      const float beta = yw[k].alpha;
      if (k == y_first[dy]) {
        for (int i = 0; i < width; ++i) sum[i] = beta * row[i];
      } else {
        for (int i = 0; i < width; ++i) sum[i] = sum[i] + beta * row[i];
      }
    }
    std::uint8_t* out = dst.ptr<std::uint8_t>(dy);
    for (int i = 0; i < width; ++i) out[i] = cv::saturate_cast<std::uint8_t>(sum[i]);
  }
}

}  // namespace

cv::Mat area_downscale(const cv::Mat& src, cv::Size size) {
  cv::Mat dst;
  const double scale_x = 1.0 / (static_cast<double>(size.width) / src.cols);
  const double scale_y = 1.0 / (static_cast<double>(size.height) / src.rows);
  const int integer_x = cv::saturate_cast<int>(scale_x), integer_y = cv::saturate_cast<int>(scale_y);
  // OpenCV's own paths: an integer factor on both axes, no shrinking on one, or a copy.
  const bool integer_factor = std::abs(scale_x - integer_x) < DBL_EPSILON && std::abs(scale_y - integer_y) < DBL_EPSILON;
  if (src.depth() != CV_8U || src.channels() > 4 || size.width <= 0 || size.height <= 0 || size == src.size() ||
      scale_x < 1 || scale_y < 1 || integer_factor) {
    cv::resize(src, dst, size, 0, 0, cv::INTER_AREA);
    return dst;
  }
  dst.create(size, src.type());
  switch (src.channels()) {
    case 1: area_downscale_rows<1>(src, dst, scale_x, scale_y); break;
    case 2: area_downscale_rows<2>(src, dst, scale_x, scale_y); break;
    case 3: area_downscale_rows<3>(src, dst, scale_x, scale_y); break;
    default: area_downscale_rows<4>(src, dst, scale_x, scale_y); break;
  }
  return dst;
}

}  // namespace smartcrop

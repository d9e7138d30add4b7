#include "smartcrop/window.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace smartcrop {

namespace {
int round_half_up(double v) { return static_cast<int>(std::floor(v + 0.5)); }
}  // namespace

WindowSize largest_window(int image_width, int image_height, double ratio) {
  if (image_width < 1 || image_height < 1 || !(ratio > 0.0)) {
    throw std::invalid_argument("largest_window needs a non-empty image and a positive ratio");
  }
  WindowSize size;
  if (static_cast<double>(image_width) / image_height > ratio) {
    size.height = image_height;
    size.width = std::clamp(round_half_up(image_height * ratio), 1, image_width);
  } else {
    size.width = image_width;
    size.height = std::clamp(round_half_up(image_width / ratio), 1, image_height);
  }
  return size;
}

Box PositionRange::clamp(Box box) const {
  box.x = std::clamp(box.x, x_min, std::max(x_min, x_max));
  box.y = std::clamp(box.y, y_min, std::max(y_min, y_max));
  return box;
}

Box center_window_on(double cx, double cy, WindowSize size, int image_width, int image_height) {
  Box box{0, 0, size.width, size.height};
  box.x = std::clamp(round_half_up(cx - size.width / 2.0), 0, image_width - size.width);
  box.y = std::clamp(round_half_up(cy - size.height / 2.0), 0, image_height - size.height);
  return box;
}

namespace {
// [lo, hi] of map starts for original starts [first, last]: inward rounding, or the
// nearest single start when the range is narrower than a map pixel.
void map_axis(int first, int last, int window, int map_window, double scale, int* lo, int* hi) {
  const auto to_map = [&](int start) { return (start + window / 2.0) / scale - map_window / 2.0; };
  const double a = to_map(first), b = to_map(std::min(last, 1 << 29));
  *lo = static_cast<int>(std::ceil(a - 1e-9));
  *hi = static_cast<int>(std::floor(b + 1e-9));
  if (*hi < *lo) *lo = *hi = static_cast<int>(std::lround((a + b) / 2.0));
}
}  // namespace

PositionRange map_positions(const PositionRange& allowed, WindowSize size, int map_w, int map_h, double scale_x,
                            double scale_y) {
  PositionRange range;
  map_axis(allowed.x_min, allowed.x_max, size.width, map_w, scale_x, &range.x_min, &range.x_max);
  map_axis(allowed.y_min, allowed.y_max, size.height, map_h, scale_y, &range.y_min, &range.y_max);
  return range;
}

double mass_inside(const ScoreMap& map, const Box& box) {
  const double total = map.total();
  if (!(total > 0.0)) return 0.0;
  // Box edges in map pixels; each map pixel contributes its overlapping fraction.
  const double bx0 = box.x / map.scale_x, bx1 = (box.x + box.width) / map.scale_x;
  const double by0 = box.y / map.scale_y, by1 = (box.y + box.height) / map.scale_y;
  const int x_first = std::max(0, static_cast<int>(std::floor(bx0)));
  const int x_last = std::min(map.width - 1, static_cast<int>(std::ceil(bx1)) - 1);
  const int y_first = std::max(0, static_cast<int>(std::floor(by0)));
  const int y_last = std::min(map.height - 1, static_cast<int>(std::ceil(by1)) - 1);
  double inside = 0.0;
  for (int y = y_first; y <= y_last; ++y) {
    const double fy = std::min<double>(y + 1, by1) - std::max<double>(y, by0);
    if (fy <= 0.0) continue;
    for (int x = x_first; x <= x_last; ++x) {
      const double fx = std::min<double>(x + 1, bx1) - std::max<double>(x, bx0);
      if (fx <= 0.0) continue;
      inside += fx * fy * map.at(x, y);
    }
  }
  return std::clamp(inside / total, 0.0, 1.0);
}

}  // namespace smartcrop

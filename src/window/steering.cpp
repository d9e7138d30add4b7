#include "smartcrop/steering.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace smartcrop {

namespace {

// Regions come from fractions times the image size: 0.5 * 480 may land a hair
// above 240, which must not cost a whole pixel.
constexpr double kPixelSlack = 1e-6;
int floor_px(double v) { return static_cast<int>(std::floor(v + kPixelSlack)); }
int ceil_px(double v) { return static_cast<int>(std::ceil(v - kPixelSlack)); }
int round_half_up(double v) { return static_cast<int>(std::floor(v + 0.5)); }

bool is_keep(const SteerRegion& region) { return region.kind != RegionKind::Focus; }

RectF united(const RectF& a, const RectF& b) {
  const double x0 = std::min(a.x, b.x), y0 = std::min(a.y, b.y);
  const double x1 = std::max(a.x + a.width, b.x + b.width), y1 = std::max(a.y + a.height, b.y + b.height);
  return {x0, y0, x1 - x0, y1 - y0};
}

bool fits(const RectF& r, WindowSize size) {
  return ceil_px(r.x + r.width) - floor_px(r.x) <= size.width && ceil_px(r.y + r.height) - floor_px(r.y) <= size.height;
}

struct AxisRange {
  int min = 0;
  int max = 0;
  double kept = 1.0;  // share of the group's extent on this axis inside the window
};

// Window starts on one axis (window length `window`, image length `image`) that
// contain [start, start + length); when it cannot, the start centred on it.
AxisRange contain(double start, double length, int window, int image) {
  const int last = image - window;
  const int lo = floor_px(start), hi = ceil_px(start + length);
  if (hi - lo <= window) return {std::clamp(hi - window, 0, last), std::clamp(lo, 0, last), 1.0};
  const int centred = std::clamp(round_half_up(start + length / 2.0 - window / 2.0), 0, last);
  const double inside = std::min<double>(centred + window, start + length) - std::max<double>(centred, start);
  return {centred, centred, length > 0.0 ? std::clamp(inside / length, 0.0, 1.0) : 1.0};
}

// Narrows [range.min, range.max] to the single start nearest centring `target`.
void nearest(AxisRange& range, double target, int window) {
  const int start = std::clamp(round_half_up(target - window / 2.0), range.min, range.max);
  range.min = range.max = start;
}

}  // namespace

SteeredWindow steer_window(const Steering& steering, WindowSize size, int image_width, int image_height) {
  SteeredWindow result;
  AxisRange x{0, image_width - size.width}, y{0, image_height - size.height};
  std::vector<int> order;
  for (int i = 0; i < static_cast<int>(steering.regions.size()); ++i) {
    if (is_keep(steering.regions[i])) order.push_back(i);
  }
  // Larger regions first: with several faces that cannot all fit, the big ones stay.
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return steering.regions[a].area.area() > steering.regions[b].area.area();
  });
  std::optional<RectF> group;
  for (int i : order) {
    const RectF& area = steering.regions[i].area;
    const RectF candidate = group ? united(*group, area) : area;
    if (fits(candidate, size) || !group) {
      group = candidate;
      result.kept.push_back(i);
      if (!fits(candidate, size)) break;  // even the largest alone is too big: keep what the window can
    }
  }
  result.all_fit = result.kept.size() == order.size() && (!group || fits(*group, size));
  if (group) {
    x = contain(group->x, group->width, size.width, image_width);
    y = contain(group->y, group->height, size.height, image_height);
    result.kept_share = x.kept * y.kept;
  }
  if (steering.focus) {
    nearest(x, steering.focus->x, size.width);
    nearest(y, steering.focus->y, size.height);
  }
  result.allowed = {x.min, x.max, y.min, y.max};
  return result;
}

std::vector<int> keep_regions_inside(const Steering& steering, const Box& box) {
  std::vector<int> inside;
  for (int i = 0; i < static_cast<int>(steering.regions.size()); ++i) {
    const SteerRegion& r = steering.regions[i];
    if (!is_keep(r)) continue;
    if (floor_px(r.area.x) >= box.x && floor_px(r.area.y) >= box.y &&
        ceil_px(r.area.x + r.area.width) <= box.x + box.width && ceil_px(r.area.y + r.area.height) <= box.y + box.height) {
      inside.push_back(i);
    }
  }
  return inside;
}

int keep_region_count(const Steering& steering) {
  return static_cast<int>(std::count_if(steering.regions.begin(), steering.regions.end(), is_keep));
}

}  // namespace smartcrop

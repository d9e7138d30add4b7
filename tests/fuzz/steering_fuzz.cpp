// Fuzzes --focus / --keep parsing and the window constraint they become. A spec is
// refused with std::invalid_argument or parses to finite, non-negative numbers
// (fractions within 0..1); the allowed positions always lie inside the image.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "smartcrop/steering.hpp"

namespace {

void check_range(const smartcrop::Steering& steering, smartcrop::WindowSize size, int w, int h) {
  const smartcrop::SteeredWindow s = smartcrop::steer_window(steering, size, w, h);
  if (s.allowed.x_min < 0 || s.allowed.x_max > w - size.width || s.allowed.x_min > s.allowed.x_max) std::abort();
  if (s.allowed.y_min < 0 || s.allowed.y_max > h - size.height || s.allowed.y_min > s.allowed.y_max) std::abort();
  if (!(s.kept_share >= 0.0 && s.kept_share <= 1.0)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const int w = 640, h = 480;
  const smartcrop::WindowSize window{1 + static_cast<int>(size % 640), 1 + static_cast<int>((size * 7) % 480)};
  try {
    const smartcrop::FocusSpec f = smartcrop::parse_focus(text);
    if (!(f.point.x >= 0 && f.point.y >= 0) || !std::isfinite(f.point.x) || !std::isfinite(f.point.y)) std::abort();
    if (!f.pixels && (f.point.x > 1 || f.point.y > 1)) std::abort();
    smartcrop::Steering s;
    s.focus = smartcrop::PointF{f.pixels ? std::fmin(f.point.x, w) : f.point.x * w,
                                f.pixels ? std::fmin(f.point.y, h) : f.point.y * h};
    check_range(s, window, w, h);
  } catch (const std::invalid_argument&) {
  }
  try {
    const smartcrop::KeepSpec k = smartcrop::parse_keep(text);
    if (!(k.area.width > 0 && k.area.height > 0) || !std::isfinite(k.area.x + k.area.width)) std::abort();
    if (!k.pixels && (k.area.x + k.area.width > 1 + 1e-9 || k.area.y + k.area.height > 1 + 1e-9)) std::abort();
    if (!k.pixels) {
      smartcrop::Steering s;
      s.regions.push_back({smartcrop::RegionKind::Keep,
                           {k.area.x * w, k.area.y * h, k.area.width * w, k.area.height * h}, ""});
      check_range(s, window, w, h);
    }
  } catch (const std::invalid_argument&) {
  }
  return 0;
}

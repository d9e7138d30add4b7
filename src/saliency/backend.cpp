#include "smartcrop/backend.hpp"

#include <algorithm>
#include <cmath>

namespace smartcrop {

BackendReport SaliencyBackend::report() const {
  BackendReport report;
  report.info = "backend " + name() + ": " + description();
  return report;
}

int scaled_blur_window(int blur_px, int map_short_side) {
  return std::max(1, static_cast<int>(std::floor(blur_px * map_short_side / 480.0 + 0.5)));
}

}  // namespace smartcrop

#include "smartcrop/score_map.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace smartcrop {

double ScoreMap::total() const {
  return std::accumulate(values.begin(), values.end(), 0.0);
}

SummedAreaTable::SummedAreaTable(const ScoreMap& map)
    : width_(map.width), height_(map.height), table_(static_cast<std::size_t>(map.width + 1) * (map.height + 1), 0.0) {
  const std::size_t stride = static_cast<std::size_t>(width_) + 1;
  for (int y = 0; y < height_; ++y) {
    double row = 0.0;
    for (int x = 0; x < width_; ++x) {
      row += map.at(x, y);
      table_[(y + 1) * stride + x + 1] = table_[y * stride + x + 1] + row;
    }
  }
}

ScoreMap upsample_nearest(const ScoreMap& map, int factor) {
  if (factor < 1) throw std::invalid_argument("upsample factor must be >= 1");
  ScoreMap out(map.width * factor, map.height * factor, map.scale_x / factor, map.scale_y / factor);
  for (int y = 0; y < out.height; ++y) {
    const float* src = map.values.data() + static_cast<std::size_t>(y / factor) * map.width;
    float* dst = out.values.data() + static_cast<std::size_t>(y) * out.width;
    for (int x = 0; x < out.width; ++x) dst[x] = src[x / factor];
  }
  return out;
}

ScoreMap box_blur(const ScoreMap& map, int window) {
  if (window < 1) throw std::invalid_argument("blur window must be >= 1");
  if (window % 2 == 0) ++window;
  const int half = window / 2;
  const int w = map.width, h = map.height;
  const SummedAreaTable table(map);
  ScoreMap out(w, h, map.scale_x, map.scale_y);
  for (int y = 0; y < h; ++y) {
    const int y0 = std::max(0, y - half), y1 = std::min(h, y + half + 1);
    for (int x = 0; x < w; ++x) {
      const int x0 = std::max(0, x - half), x1 = std::min(w, x + half + 1);
      out.at(x, y) = static_cast<float>(table.sum(x0, y0, x1, y1));
    }
  }
  return out;
}

MapPeak find_peak(const ScoreMap& map) {
  if (map.empty()) throw std::invalid_argument("find_peak on an empty map");
  auto it = std::max_element(map.values.begin(), map.values.end());
  const auto index = static_cast<int>(it - map.values.begin());
  return {index % map.width, index / map.width, *it};
}

}  // namespace smartcrop

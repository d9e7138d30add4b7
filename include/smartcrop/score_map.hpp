#pragma once
// A 2-D map of non-negative saliency scores laid over an image, and the filters
// that the window search runs on it. No Torch, no OpenCV: plain C++ so the tests
// are fast and run under sanitizers.

#include <cstddef>
#include <vector>

namespace smartcrop {

struct ScoreMap {
  int width = 0;
  int height = 0;
  std::vector<float> values;  // row-major, width * height
  // Original-image pixels per map pixel. Map pixel (x, y) covers the original
  // rectangle [x*scale_x, (x+1)*scale_x) x [y*scale_y, (y+1)*scale_y).
  double scale_x = 1.0;
  double scale_y = 1.0;

  ScoreMap() = default;
  // Makes a zero-filled map of the given size and scale.
  ScoreMap(int w, int h, double sx = 1.0, double sy = 1.0)
      : width(w), height(h), values(static_cast<std::size_t>(w) * h, 0.0f), scale_x(sx), scale_y(sy) {}

  float& at(int x, int y) { return values[static_cast<std::size_t>(y) * width + x]; }
  float at(int x, int y) const { return values[static_cast<std::size_t>(y) * width + x]; }
  bool empty() const { return values.empty(); }
  // Sum of all values.
  double total() const;
};

// Sums of a map over axis-aligned rectangles in O(1) each, in double precision
// (exact enough for float maps of any size used here).
class SummedAreaTable {
 public:
  explicit SummedAreaTable(const ScoreMap& map);
  // Sum over map pixels x in [x0, x1), y in [y0, y1); bounds must lie in the map.
  double sum(int x0, int y0, int x1, int y1) const {
    return at(x1, y1) - at(x0, y1) - at(x1, y0) + at(x0, y0);
  }
  // Sum of the whole map.
  double total() const { return at(width_, height_); }

 private:
  double at(int x, int y) const { return table_[static_cast<std::size_t>(y) * (width_ + 1) + x]; }
  int width_;
  int height_;
  std::vector<double> table_;  // (width + 1) x (height + 1), zero first row and column
};

// Returns `map` with each pixel repeated factor x factor times (nearest-neighbour
// upsampling, as DINO's attention visualisation does). Scale is divided by factor.
ScoreMap upsample_nearest(const ScoreMap& map, int factor);

// Returns the box sum of `map` over a window x window square centred on each pixel,
// zero outside the map. An even window is widened by one so that it has a centre
// pixel (30 -> 31): the result is aligned with the input, no half-window shift.
ScoreMap box_blur(const ScoreMap& map, int window);

struct MapPeak {
  int x = 0;  // column of the maximum (first in row-major order on ties)
  int y = 0;  // row of the maximum
  float value = 0.0f;
};

// Returns the position of the largest value. Map must not be empty.
MapPeak find_peak(const ScoreMap& map);

}  // namespace smartcrop

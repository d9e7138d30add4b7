#pragma once
// Crop windows in original-image pixels: the largest window of a ratio, placing
// it on a saliency peak, and the share of saliency it keeps.

#include "smartcrop/score_map.hpp"

namespace smartcrop {

struct Box {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
  bool operator==(const Box& o) const { return x == o.x && y == o.y && width == o.width && height == o.height; }
};

// The top-left positions a window search may choose, inclusive, in the pixels its
// box is placed in. The default allows every position. Steering (steering.hpp)
// narrows it; every window search takes one.
struct PositionRange {
  int x_min = 0;
  int x_max = 1 << 30;
  int y_min = 0;
  int y_max = 1 << 30;
  // Returns `box` moved to the nearest allowed position.
  Box clamp(Box box) const;
};

struct WindowSize {
  int width = 0;
  int height = 0;
};

// Returns the largest window of aspect `ratio` (width/height) that fits in an
// image_width x image_height image; its ratio is within one pixel of exact.
WindowSize largest_window(int image_width, int image_height, double ratio);

// Returns the window of `size` whose centre is as close as the image allows to
// (cx, cy) (original pixels, continuous coordinates), clamped inside the image.
Box center_window_on(double cx, double cy, WindowSize size, int image_width, int image_height);

// Returns the top-left positions, in pixels of a map scale_x x scale_y original
// pixels per map pixel, of the map_w x map_h windows whose centre, mapped back,
// places a `size` window inside `allowed` (original pixels); at least one position.
// Rounding costs at most a map pixel at the edges: clamp the final box into `allowed`.
PositionRange map_positions(const PositionRange& allowed, WindowSize size, int map_w, int map_h, double scale_x,
                            double scale_y);

// Returns the share (0..1) of the map's total that lies inside `box` (original
// pixels); a map pixel counts in proportion to its overlap with the box.
// Returns 0 for an all-zero map.
double mass_inside(const ScoreMap& map, const Box& box);

}  // namespace smartcrop

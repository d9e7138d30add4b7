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

// Returns the share (0..1) of the map's total that lies inside `box` (original
// pixels); a map pixel counts in proportion to its overlap with the box.
// Returns 0 for an all-zero map.
double mass_inside(const ScoreMap& map, const Box& box);

}  // namespace smartcrop

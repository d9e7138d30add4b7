#pragma once
// The window that keeps the most saliency: an exact search over every position
// with a summed-area table. Plain C++ (no OpenCV, no Torch).

#include "smartcrop/score_map.hpp"
#include "smartcrop/window.hpp"

namespace smartcrop {

struct MassWindowParams {
  // Penalty on the window centre's distance from the map centre: the score is
  // share - center_prior * (dx^2 + dy^2), dx and dy as fractions of the map's
  // width and height. 0 = pure mass.
  double center_prior = 0.0;
};

struct MassWindow {
  int x = 0;  // top-left corner, map pixels
  int y = 0;
  int width = 0;  // window size, map pixels (clamped to the map)
  int height = 0;
  double share = 0.0;  // share (0..1) of the map's total inside the window; 0 for an all-zero map
};

// Returns the width x height window (map pixels, each clamped to 1..map size)
// with the largest score. Ties (scores within 1e-9) go to the window whose
// centre is nearest the map centre, then to the first in row-major order.
// Map must not be empty; negative values are not expected. Only top-left corners
// inside `allowed` (map pixels, clamped to the map) are considered: steering.
MassWindow find_mass_window(const ScoreMap& map, int width, int height, const MassWindowParams& params,
                            const PositionRange& allowed = {});

// Returns the score find_mass_window gives every position of a width x height
// window (clamped as there): value (x, y) is the window with top-left (x, y), in a
// map of (map.width - width + 1) x (map.height - height + 1) with map's scale. For
// showing what chose the window; map must not be empty.
ScoreMap mass_position_scores(const ScoreMap& map, int width, int height, const MassWindowParams& params);

}  // namespace smartcrop

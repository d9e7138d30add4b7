#pragma once
// Per-head CLS attention from the model, and how the heads are combined into one map.

#include <vector>

#include "smartcrop/score_map.hpp"

namespace smartcrop {

struct HeadAttention {
  int heads = 0;
  int grid_width = 0;   // patches across
  int grid_height = 0;  // patches down
  std::vector<float> values;  // [heads][grid_height][grid_width], row-major

  const float* head(int h) const { return values.data() + static_cast<std::size_t>(h) * grid_width * grid_height; }
};

// Combines the heads into one grid-sized map (scale 1). With threshold in (0, 1]:
// per head, keep the patches that together hold the top `threshold` share of that
// head's attention (DINO's visualisation rule) and count, per patch, how many heads
// kept it. With threshold <= 0: sum the raw attention over heads.
ScoreMap combine_heads(const HeadAttention& attention, double threshold);

}  // namespace smartcrop

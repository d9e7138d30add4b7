#include "smartcrop/head_attention.hpp"

#include <algorithm>
#include <numeric>

namespace smartcrop {

ScoreMap combine_heads(const HeadAttention& attention, double threshold) {
  const int n = attention.grid_width * attention.grid_height;
  ScoreMap map(attention.grid_width, attention.grid_height);
  std::vector<int> order(n);
  for (int h = 0; h < attention.heads; ++h) {
    const float* head = attention.head(h);
    if (threshold <= 0.0) {
      for (int i = 0; i < n; ++i) map.values[i] += head[i];
      continue;
    }
    // DINO's rule: sort ascending, normalise, cumulative sum; keep the patches past
    // 1 - threshold, i.e. the most-attended patches holding `threshold` of the mass.
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return head[a] < head[b]; });
    float sum = 0.0f;
    for (int i = 0; i < n; ++i) sum += head[order[i]];
    if (!(sum > 0.0f)) continue;
    float cumulative = 0.0f;
    for (int i = 0; i < n; ++i) {
      cumulative += head[order[i]] / sum;
      if (cumulative > 1.0f - static_cast<float>(threshold)) map.values[order[i]] += 1.0f;
    }
  }
  return map;
}

}  // namespace smartcrop

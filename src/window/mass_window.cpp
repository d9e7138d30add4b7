#include "smartcrop/mass_window.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace smartcrop {

namespace {
constexpr double kTie = 1e-9;  // scores are shares (0..1): far below any meaningful difference
}  // namespace

MassWindow find_mass_window(const ScoreMap& map, int width, int height, const MassWindowParams& params,
                            const PositionRange& allowed) {
  if (map.empty()) throw std::invalid_argument("find_mass_window on an empty map");
  const int w = map.width, h = map.height;
  MassWindow best;
  best.width = std::clamp(width, 1, w);
  best.height = std::clamp(height, 1, h);
  const SummedAreaTable table(map);
  const double total = table.total();
  const double inv_total = total > 0.0 ? 1.0 / total : 0.0;
  const int nx = w - best.width + 1, ny = h - best.height + 1;
  // Centre offsets in half-pixels: integer, so the tie distance is exact.
  const double half_w = 0.5 / w, half_h = 0.5 / h;
  auto score_at = [&](int x, int y, double* share) {
    const double sum = table.sum(x, y, x + best.width, y + best.height);
    *share = sum * inv_total;
    const double fx = (2.0 * x - (nx - 1)) * half_w, fy = (2.0 * y - (ny - 1)) * half_h;
    return *share - params.center_prior * (fx * fx + fy * fy);
  };
  const int x0 = std::clamp(allowed.x_min, 0, nx - 1), x1 = std::clamp(allowed.x_max, x0, nx - 1);
  const int y0 = std::clamp(allowed.y_min, 0, ny - 1), y1 = std::clamp(allowed.y_max, y0, ny - 1);
  // Two passes so that the tie rule does not depend on the scan order: the best
  // score first, then the most central window among those within kTie of it.
  double top = -1e300, share = 0.0;
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) top = std::max(top, score_at(x, y, &share));
  long long best_dist = -1;
  for (int y = y0; y <= y1; ++y) {
    const long long dy = 2LL * y - (ny - 1);
    for (int x = x0; x <= x1; ++x) {
      const long long dx = 2LL * x - (nx - 1);
      const long long dist = dx * dx + dy * dy;
      if (score_at(x, y, &share) < top - kTie || (best_dist >= 0 && dist >= best_dist)) continue;
      best_dist = dist;
      best.x = x;
      best.y = y;
      best.share = std::clamp(share, 0.0, 1.0);
    }
  }
  return best;
}

ScoreMap mass_position_scores(const ScoreMap& map, int width, int height, const MassWindowParams& params) {
  if (map.empty()) throw std::invalid_argument("mass_position_scores on an empty map");
  const int w = std::clamp(width, 1, map.width), h = std::clamp(height, 1, map.height);
  const SummedAreaTable table(map);
  const double total = table.total();
  const double inv_total = total > 0.0 ? 1.0 / total : 0.0;
  ScoreMap scores(map.width - w + 1, map.height - h + 1, map.scale_x, map.scale_y);
  const int nx = scores.width, ny = scores.height;
  for (int y = 0; y < ny; ++y) {
    for (int x = 0; x < nx; ++x) {
      // The same score as find_mass_window's, term for term.
      const double fx = (2.0 * x - (nx - 1)) * 0.5 / map.width, fy = (2.0 * y - (ny - 1)) * 0.5 / map.height;
      const double share = table.sum(x, y, x + w, y + h) * inv_total;
      scores.at(x, y) = static_cast<float>(share - params.center_prior * (fx * fx + fy * fy));
    }
  }
  return scores;
}

}  // namespace smartcrop

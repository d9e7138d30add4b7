#include "smartcrop/mass_window.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "smartcrop/window.hpp"

using namespace smartcrop;

namespace {

// The definition, spelt out: every position, the sum by direct addition, the
// same score and the same tie rule (most central, then first in row-major order).
MassWindow brute_force(const ScoreMap& map, int width, int height, double prior) {
  width = std::clamp(width, 1, map.width);
  height = std::clamp(height, 1, map.height);
  const int nx = map.width - width + 1, ny = map.height - height + 1;
  const double total = map.total();
  std::vector<double> scores, shares;
  double top = -1e300;
  for (int y = 0; y < ny; ++y) {
    for (int x = 0; x < nx; ++x) {
      double sum = 0.0;
      for (int j = y; j < y + height; ++j)
        for (int i = x; i < x + width; ++i) sum += map.at(i, j);
      const double share = total > 0 ? sum / total : 0.0;
      const double fx = (x + width / 2.0 - map.width / 2.0) / map.width;
      const double fy = (y + height / 2.0 - map.height / 2.0) / map.height;
      scores.push_back(share - prior * (fx * fx + fy * fy));
      shares.push_back(share);
      top = std::max(top, scores.back());
    }
  }
  MassWindow best{0, 0, width, height, 0.0};
  double best_dist = 1e300;
  for (int y = 0; y < ny; ++y) {
    for (int x = 0; x < nx; ++x) {
      const std::size_t k = static_cast<std::size_t>(y) * nx + x;
      const double dx = x - (nx - 1) / 2.0, dy = y - (ny - 1) / 2.0;
      if (scores[k] < top - 1e-9 || dx * dx + dy * dy >= best_dist) continue;
      best_dist = dx * dx + dy * dy;
      best.x = x;
      best.y = y;
      best.share = shares[k];
    }
  }
  return best;
}

ScoreMap random_map(std::mt19937& rng, int w, int h, double zero_share) {
  std::uniform_real_distribution<float> value(0.0f, 1.0f);
  std::bernoulli_distribution zero(zero_share);
  ScoreMap map(w, h);
  for (float& v : map.values) v = zero(rng) ? 0.0f : value(rng);
  return map;
}

}  // namespace

TEST(MassWindow, SameBoxAsBruteForceOnRandomMaps) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> side(1, 24);
  for (int i = 0; i < 600; ++i) {
    const int w = side(rng), h = side(rng);
    // Sparse maps make exact ties (all-zero windows) common, so the tie rule is exercised too.
    const ScoreMap map = random_map(rng, w, h, i % 3 == 0 ? 0.95 : 0.0);
    const int ww = std::uniform_int_distribution<int>(1, w)(rng), wh = std::uniform_int_distribution<int>(1, h)(rng);
    const double prior = i % 2 == 0 ? 0.0 : 0.5;
    const MassWindow fast = find_mass_window(map, ww, wh, {prior});
    const MassWindow slow = brute_force(map, ww, wh, prior);
    ASSERT_EQ(fast.x, slow.x) << "map " << w << "x" << h << " window " << ww << "x" << wh << " prior " << prior;
    ASSERT_EQ(fast.y, slow.y) << "map " << w << "x" << h << " window " << ww << "x" << wh << " prior " << prior;
    EXPECT_EQ(fast.width, ww);
    EXPECT_EQ(fast.height, wh);
    EXPECT_NEAR(fast.share, slow.share, 1e-9);
  }
}

TEST(MassWindow, KeepsABrightBlobAndReportsItsShare) {
  ScoreMap map(40, 10);
  for (int y = 2; y < 6; ++y)
    for (int x = 30; x < 34; ++x) map.at(x, y) = 1.0f;
  const MassWindow found = find_mass_window(map, 10, 10, {});
  EXPECT_LE(found.x, 30);
  EXPECT_GE(found.x + found.width, 34);
  EXPECT_DOUBLE_EQ(found.share, 1.0);
}

TEST(MassWindow, FlatOrEmptyMapGivesTheCentredWindow) {
  for (float fill : {0.0f, 1.0f}) {
    ScoreMap map(21, 9);
    std::fill(map.values.begin(), map.values.end(), fill);
    const MassWindow found = find_mass_window(map, 11, 9, {});
    EXPECT_EQ(found.x, 5) << "fill " << fill;
    EXPECT_EQ(found.y, 0);
  }
}

TEST(MassWindow, CentrePriorPullsAnEvenSplitToTheMiddleOnly) {
  // Two equal blobs at both ends: any window keeps one of them. A strong prior
  // moves the window to the centre; without one both ends tie at the same
  // distance from the centre and the first in row-major order wins.
  ScoreMap map(30, 1);
  map.at(0, 0) = 1.0f;
  map.at(29, 0) = 1.0f;
  const MassWindow strong = find_mass_window(map, 10, 1, {100.0});
  EXPECT_EQ(strong.x, 10);
  const MassWindow none = find_mass_window(map, 10, 1, {0.0});
  EXPECT_EQ(none.x, 0);
  EXPECT_DOUBLE_EQ(none.share, 0.5);
}

TEST(MassWindow, WindowLargerThanTheMapIsClamped) {
  ScoreMap map(5, 4);
  map.at(4, 3) = 2.0f;
  const MassWindow found = find_mass_window(map, 50, 50, {});
  EXPECT_EQ(found.width, 5);
  EXPECT_EQ(found.height, 4);
  EXPECT_EQ(found.x, 0);
  EXPECT_EQ(found.y, 0);
  EXPECT_DOUBLE_EQ(found.share, 1.0);
}

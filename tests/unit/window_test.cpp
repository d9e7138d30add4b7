#include "smartcrop/window.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace smartcrop;

namespace {
bool inside(const Box& b, int w, int h) { return b.x >= 0 && b.y >= 0 && b.x + b.width <= w && b.y + b.height <= h; }
}  // namespace

TEST(LargestWindow, IsExactlyTheRatioWithinOnePixelAndFills) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> side(16, 5000);
  for (double ratio : {16.0 / 9.0, 1.0, 4.0 / 5.0, 1.91, 9.0 / 16.0, 3.0, 0.2}) {
    for (int i = 0; i < 200; ++i) {
      const int w = side(rng), h = side(rng);
      WindowSize s = largest_window(w, h, ratio);
      ASSERT_LE(s.width, w);
      ASSERT_LE(s.height, h);
      EXPECT_TRUE(s.width == w || s.height == h) << "not the largest window";
      // Within one pixel: the exact width for this height is at most 1 px away.
      EXPECT_LE(std::abs(s.width - s.height * ratio), 1.0) << w << "x" << h << " r=" << ratio;
    }
  }
}

TEST(CenterWindowOn, ContainsThePeakAndStaysInside) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int i = 0; i < 1000; ++i) {
    const int w = 100 + static_cast<int>(unit(rng) * 3000), h = 100 + static_cast<int>(unit(rng) * 3000);
    const double cx = unit(rng) * w, cy = unit(rng) * h;
    const WindowSize size = largest_window(w, h, 0.5 + unit(rng) * 2.0);
    const Box b = center_window_on(cx, cy, size, w, h);
    ASSERT_TRUE(inside(b, w, h));
    EXPECT_EQ(b.width, size.width);
    EXPECT_EQ(b.height, size.height);
    EXPECT_GE(cx, b.x);
    EXPECT_LE(cx, b.x + b.width);
    EXPECT_GE(cy, b.y);
    EXPECT_LE(cy, b.y + b.height);
  }
}

TEST(CenterWindowOn, CentresWithoutShiftWhenThereIsRoom) {
  // A 16:9 window in a tall photo, peak in the middle: no half-window offset.
  const Box b = center_window_on(500.0, 1000.0, WindowSize{1000, 563}, 1000, 3000);
  EXPECT_EQ(b.x, 0);
  EXPECT_EQ(b.y, 719);  // floor(1000 - 563/2 + 0.5): rows 719..1281, centre 1000.5
}

TEST(CenterWindowOn, ClampsAtTheEdges) {
  EXPECT_EQ(center_window_on(0.0, 0.0, WindowSize{100, 50}, 1000, 1000), (Box{0, 0, 100, 50}));
  EXPECT_EQ(center_window_on(999.0, 999.0, WindowSize{100, 50}, 1000, 1000), (Box{900, 950, 100, 50}));
}

TEST(MassInside, CountsOverlapProportionally) {
  ScoreMap map(4, 4, 10.0, 10.0);  // each map pixel covers 10x10 original pixels
  map.at(1, 1) = 1.0f;
  map.at(3, 3) = 3.0f;
  EXPECT_NEAR(mass_inside(map, Box{0, 0, 40, 40}), 1.0, 1e-9);
  EXPECT_NEAR(mass_inside(map, Box{10, 10, 10, 10}), 0.25, 1e-9);
  EXPECT_NEAR(mass_inside(map, Box{15, 10, 10, 10}), 0.125, 1e-9);  // half of pixel (1,1)
  EXPECT_NEAR(mass_inside(ScoreMap(2, 2), Box{0, 0, 1, 1}), 0.0, 1e-12);
}

#include "smartcrop/steering.hpp"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>

#include "smartcrop/mass_window.hpp"

using namespace smartcrop;

namespace {

bool contains(const Box& b, const RectF& r) {
  return b.x <= r.x && b.y <= r.y && b.x + b.width >= r.x + r.width && b.y + b.height >= r.y + r.height;
}

Steering keep(std::vector<RectF> areas) {
  Steering s;
  for (const auto& a : areas) s.regions.push_back({RegionKind::Face, a, ""});
  return s;
}

}  // namespace

TEST(SteerWindow, AllowsExactlyThePositionsThatContainTheKeepRegion) {
  std::mt19937 rng(11);
  for (int i = 0; i < 300; ++i) {
    const int iw = 20 + rng() % 60, ih = 20 + rng() % 60;
    const WindowSize size{1 + static_cast<int>(rng() % iw), 1 + static_cast<int>(rng() % ih)};
    const int rw = 1 + rng() % size.width, rh = 1 + rng() % size.height;
    const RectF area{static_cast<double>(rng() % (iw - rw + 1)), static_cast<double>(rng() % (ih - rh + 1)),
                     static_cast<double>(rw), static_cast<double>(rh)};
    const SteeredWindow steer = steer_window(keep({area}), size, iw, ih);
    ASSERT_TRUE(steer.all_fit);
    for (int y = 0; y + size.height <= ih; ++y) {
      for (int x = 0; x + size.width <= iw; ++x) {
        const bool allowed = x >= steer.allowed.x_min && x <= steer.allowed.x_max && y >= steer.allowed.y_min &&
                             y <= steer.allowed.y_max;
        ASSERT_EQ(allowed, contains(Box{x, y, size.width, size.height}, area)) << x << "," << y;
      }
    }
  }
}

TEST(SteerWindow, FocusGivesTheOnePositionNearestCentring) {
  Steering s;
  s.focus = PointF{950, 100};
  const SteeredWindow steer = steer_window(s, {400, 400}, 1000, 600);
  EXPECT_EQ(steer.allowed.x_min, 600);  // pushed against the right edge
  EXPECT_EQ(steer.allowed.x_max, 600);
  EXPECT_EQ(steer.allowed.y_min, 0);
  s.focus = PointF{500, 300};
  const SteeredWindow centred = steer_window(s, {400, 400}, 1000, 600);
  EXPECT_EQ(centred.allowed.x_min, 300);
  EXPECT_EQ(centred.allowed.y_min, 100);
}

TEST(SteerWindow, FocusInsideAKeepRangeStaysWithinIt) {
  Steering s = keep({{100, 100, 50, 50}});
  s.focus = PointF{900, 300};
  const SteeredWindow steer = steer_window(s, {300, 300}, 1000, 600);
  EXPECT_EQ(steer.allowed.x_min, 100);  // the furthest right that still holds x 100..150
  EXPECT_EQ(steer.allowed.x_max, 100);
  EXPECT_TRUE(steer.all_fit);
}

TEST(SteerWindow, ARegionTooBigIsCentredOnAndTheShareKeptSaid) {
  const SteeredWindow steer = steer_window(keep({{40, 50, 720, 250}}), {500, 500}, 800, 500);
  EXPECT_FALSE(steer.all_fit);
  EXPECT_EQ(steer.allowed.x_min, 150);
  EXPECT_EQ(steer.allowed.x_max, 150);
  EXPECT_NEAR(steer.kept_share, 500.0 / 720.0, 1e-9);
}

TEST(SteerWindow, SeveralRegionsKeepTheLargestThatFitTogether) {
  // Window 400 wide: faces at x 40..120 and 620..748 cannot both be inside.
  const Steering s = keep({{40, 150, 80, 80}, {620, 140, 128, 120}, {460, 180, 48, 40}});
  const SteeredWindow steer = steer_window(s, {400, 400}, 800, 400);
  EXPECT_FALSE(steer.all_fit);
  EXPECT_EQ(steer.kept, (std::vector<int>{1, 2}));
  EXPECT_DOUBLE_EQ(steer.kept_share, 1.0);
  for (int x = steer.allowed.x_min; x <= steer.allowed.x_max; ++x) {
    EXPECT_EQ(keep_regions_inside(s, Box{x, 0, 400, 400}), (std::vector<int>{1, 2}));
  }
}

TEST(SteerWindow, NothingToSteerAllowsEverything) {
  const SteeredWindow steer = steer_window(Steering(), {100, 50}, 300, 200);
  EXPECT_EQ(steer.allowed.x_min, 0);
  EXPECT_EQ(steer.allowed.x_max, 200);
  EXPECT_EQ(steer.allowed.y_max, 150);
  EXPECT_TRUE(steer.all_fit);
}

TEST(MassWindowInRange, IsTheBestWindowAmongTheAllowedPositions) {
  std::mt19937 rng(5);
  for (int i = 0; i < 100; ++i) {
    ScoreMap map(24, 16);
    for (auto& v : map.values) v = static_cast<float>(rng() % 100);
    const PositionRange range{static_cast<int>(rng() % 8), 8 + static_cast<int>(rng() % 8), static_cast<int>(rng() % 4),
                              4 + static_cast<int>(rng() % 4)};
    const MassWindow found = find_mass_window(map, 8, 8, {}, range);
    ASSERT_GE(found.x, range.x_min);
    ASSERT_LE(found.x, range.x_max);
    ASSERT_GE(found.y, range.y_min);
    ASSERT_LE(found.y, range.y_max);
    const SummedAreaTable table(map);
    double best = -1;
    for (int y = range.y_min; y <= range.y_max; ++y)
      for (int x = range.x_min; x <= range.x_max; ++x) best = std::max(best, table.sum(x, y, x + 8, y + 8));
    EXPECT_NEAR(table.sum(found.x, found.y, found.x + 8, found.y + 8), best, 1e-6);
  }
}

TEST(ParseSteering, FractionsAndPixels) {
  const FocusSpec f = parse_focus("0.7,0.3");
  EXPECT_FALSE(f.pixels);
  EXPECT_DOUBLE_EQ(f.point.x, 0.7);
  const FocusSpec p = parse_focus("1200, 400px");
  EXPECT_TRUE(p.pixels);
  EXPECT_DOUBLE_EQ(p.point.y, 400);
  EXPECT_TRUE(parse_focus("1200px,400px").pixels);
  const KeepSpec k = parse_keep("100,80,400,300px");
  EXPECT_TRUE(k.pixels);
  EXPECT_DOUBLE_EQ(k.area.height, 300);
  EXPECT_EQ(format_keep(k), "100,80,400,300px");
  EXPECT_EQ(format_focus(f), "0.7,0.3");
}

TEST(ParseSteering, SaysWhatIsWrong) {
  const auto message = [](auto parse, const char* text) {
    try {
      parse(text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const auto focus = [](const char* t) { parse_focus(t); };
  const auto keep_ = [](const char* t) { parse_keep(t); };
  EXPECT_EQ(message(focus, "0.7"), "focus '0.7': expected 2 numbers, got 1");
  EXPECT_EQ(message(focus, "1.2,0.3"), "focus '1.2,0.3': fractions must lie in 0..1 (write 'px' after pixel coordinates)");
  EXPECT_EQ(message(focus, "a,b"), "focus 'a,b': expected 2 numbers separated by commas");
  EXPECT_EQ(message(focus, "-1,0"), "focus '-1,0': coordinates cannot be negative");
  EXPECT_EQ(message(keep_, "0.5,0.5,0.6,0.1"),
            "keep '0.5,0.5,0.6,0.1': the region reaches past the photo (X+W and Y+H must be at most 1)");
  EXPECT_EQ(message(keep_, "0.1,0.1,0,0.2"), "keep '0.1,0.1,0,0.2': width and height must be positive");
  EXPECT_EQ(message(keep_, "1px,2,3,4px"), "keep '1px,2,3,4px': put 'px' after the last number (or after every one)");
}

TEST(UprightRegions, TurnWithThePhoto) {
  const RectF top_left{0.0, 0.0, 0.2, 0.1};  // stored top-left corner
  // 6: the stored image is turned clockwise to display: its top-left goes top-right.
  const RectF r6 = upright_normalised(top_left, 6);
  EXPECT_NEAR(r6.x, 0.9, 1e-12);
  EXPECT_NEAR(r6.y, 0.0, 1e-12);
  EXPECT_NEAR(r6.width, 0.1, 1e-12);
  EXPECT_NEAR(r6.height, 0.2, 1e-12);
  const RectF r8 = upright_normalised(top_left, 8);  // counter-clockwise: bottom-left
  EXPECT_NEAR(r8.x, 0.0, 1e-12);
  EXPECT_NEAR(r8.y, 0.8, 1e-12);
  const RectF r3 = upright_normalised(top_left, 3);
  EXPECT_NEAR(r3.x, 0.8, 1e-12);
  EXPECT_NEAR(r3.y, 0.9, 1e-12);
  const RectF r1 = upright_normalised(top_left, 1);
  EXPECT_NEAR(r1.width, 0.2, 1e-12);
}

// The comparison strip says what ran (issue 19): panel 2 names the backend's map,
// panel 3 what chose the window, and for mass and learned it shows the score of every
// window position with its best where the crop is.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "smartcrop/comparison.hpp"
#include "smartcrop/learned_window.hpp"

using namespace smartcrop;

namespace {

constexpr int kWidth = 640, kHeight = 400, kCell = 10;

// A plan for a 640x400 photo whose attention is a blob at (cx, cy), or flat when
// `flat`, made by `strategy` as if `backend` had made the map.
CropPlan plan_for(const std::string& backend, Strategy strategy, int cx = 520, int cy = 200, bool flat = false) {
  SaliencyResult saliency;
  saliency.attention = ScoreMap(kWidth / kCell, kHeight / kCell, kCell, kCell);
  for (int y = 0; y < saliency.attention.height; ++y) {
    for (int x = 0; x < saliency.attention.width; ++x) {
      const double dx = (x + 0.5) * kCell - cx, dy = (y + 0.5) * kCell - cy;
      saliency.attention.at(x, y) =
          flat ? 1.0f : static_cast<float>(0.02 + std::exp(-(dx * dx + dy * dy) / (2.0 * 40 * 40)));
    }
  }
  saliency.score = box_blur(saliency.attention, 5);
  CropParams params;
  params.ratios = {parse_ratio("1:1")};
  params.strategy = strategy;
  params.backend_name = backend;
  params.window_scores = true;
  // Trust the map as far as it is sure, else stay central: the shape of the shipped model.
  params.window_model = std::make_shared<const WindowModel>(
      make_window_model({"gate*share:saliency", "doubt*offset_x2", "doubt*offset_y2"}, {4.0, -1.0, -1.0},
                        {1.0, 1.0, 1.0}));
  return plan_crops(saliency, kWidth, kHeight, params);
}

cv::Mat photo() { return cv::Mat(kHeight, kWidth, CV_8UC3, cv::Scalar(100, 110, 120)); }

std::string title(const ComparisonStrip& strip, PanelKind kind) {
  for (const auto& panel : strip.panels) {
    if (panel.kind == kind) return panel.label;
  }
  return "(no panel)";
}

}  // namespace

TEST(StripTitles, PanelTwoNamesTheMapOfTheBackendThatRan) {
  EXPECT_EQ(title(build_comparison(photo(), plan_for("dino", Strategy::Peak)), PanelKind::Attention),
            "2 DINO attention");
  EXPECT_EQ(title(build_comparison(photo(), plan_for("saliency", Strategy::Learned)), PanelKind::Attention),
            "2 saliency (built-in)");
  EXPECT_EQ(title(build_comparison(photo(), plan_for("center", Strategy::Mass)), PanelKind::Attention),
            "2 none (center)");
}

TEST(StripTitles, PanelThreeNamesTheStrategyThatPlacedTheWindow) {
  EXPECT_EQ(title(build_comparison(photo(), plan_for("dino", Strategy::Peak)), PanelKind::Score),
            "3 peak: blurred map");
  EXPECT_EQ(title(build_comparison(photo(), plan_for("saliency", Strategy::Mass)), PanelKind::Score),
            "3 mass: score of each 1:1 window");
  // The centre backend's one-pixel map gives the window one position: nothing was scored.
  SaliencyResult one_pixel;
  one_pixel.attention = ScoreMap(1, 1, kWidth, kHeight);
  one_pixel.attention.values[0] = 1.0f;
  one_pixel.score = one_pixel.attention;
  CropParams params;
  params.ratios = {parse_ratio("1:1")};
  params.strategy = Strategy::Mass;
  params.backend_name = "center";
  params.window_scores = true;
  const CropPlan centre = plan_crops(one_pixel, kWidth, kHeight, params);
  EXPECT_EQ(title(build_comparison(photo(), centre), PanelKind::Score), "3 mass: no map, one position");
  // Auto is never what ran: the plan says which strategy placed the window.
  EXPECT_EQ(plan_for("dino", Strategy::Auto).strategy, Strategy::Peak);
}

TEST(StripTitles, LearnedSaysWhetherTheWindowMovedAndHowSureTheMapWas) {
  const CropPlan off_centre = plan_for("saliency", Strategy::Learned);
  ASSERT_GT(off_centre.crops[0].box.x, centre_box(off_centre.crops[0].box, kWidth, kHeight).x + 50);
  char gate[32];
  std::snprintf(gate, sizeof gate, "gate %.2f", off_centre.gate);
  EXPECT_EQ(title(build_comparison(photo(), off_centre), PanelKind::Score),
            std::string("3 learned 1:1: moved, ") + gate);
  const CropPlan flat = plan_for("saliency", Strategy::Learned, 0, 0, true);
  EXPECT_EQ(flat.crops[0].box, centre_box(flat.crops[0].box, kWidth, kHeight));
  std::snprintf(gate, sizeof gate, "gate %.2f", flat.gate);
  EXPECT_LT(flat.gate, off_centre.gate);
  EXPECT_EQ(title(build_comparison(photo(), flat), PanelKind::Score),
            std::string("3 learned 1:1: stayed central, ") + gate);
}

// The heat map of window positions is the one that chose: its best value sits on
// the chosen window's centre, for mass and for learned.
TEST(StripTitles, BestWindowPositionIsTheChosenCrop) {
  for (const Strategy strategy : {Strategy::Mass, Strategy::Learned}) {
    const CropPlan plan = plan_for("saliency", strategy, 420, 150);
    const CropChoice& crop = plan.crops[0];
    const ScoreMap& values = crop.window_scores.values;
    ASSERT_FALSE(values.empty());
    const auto best = std::max_element(values.values.begin(), values.values.end()) - values.values.begin();
    const double cx = crop.window_scores.origin_x + (best % values.width + 0.5) * values.scale_x;
    const double cy = crop.window_scores.origin_y + (best / values.width + 0.5) * values.scale_y;
    EXPECT_NEAR(cx, crop.box.x + crop.box.width / 2.0, kCell) << strategy_name(strategy);
    EXPECT_NEAR(cy, crop.box.y + crop.box.height / 2.0, kCell) << strategy_name(strategy);
  }
}

// Without --compare nothing is kept: the search does not pay for the picture.
TEST(StripTitles, PositionScoresAreKeptOnlyWhenAsked) {
  SaliencyResult saliency;
  saliency.attention = ScoreMap(64, 40, kCell, kCell);
  saliency.attention.at(50, 20) = 1.0f;
  saliency.score = box_blur(saliency.attention, 5);
  CropParams params;
  params.ratios = {parse_ratio("1:1")};
  params.strategy = Strategy::Mass;
  EXPECT_TRUE(plan_crops(saliency, kWidth, kHeight, params).crops[0].window_scores.values.empty());
}

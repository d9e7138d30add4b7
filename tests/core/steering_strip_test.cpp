// The comparison strip outlines the regions that steered the crop: a person sees
// which face or keep-region the crop was held to.
#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "smartcrop/comparison.hpp"

using namespace smartcrop;

namespace {

CropPlan steered_plan(const Steering& steering) {
  SaliencyResult saliency;
  saliency.attention = ScoreMap(80, 40, 10, 10);
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 80; ++x) saliency.attention.at(x, y) = x < 20 ? 1.0f : 0.01f;  // subject on the left
  saliency.score = saliency.attention;
  CropParams params;
  params.ratios = {parse_ratio("1:1")};
  return plan_crops(saliency, 800, 400, params, steering);
}

// Counts near-white pixels on the panel along the top edge of `r` (original pixels).
int white_on_top_edge(const cv::Mat& strip, const cv::Rect& panel, const RectF& r, double scale) {
  int white = 0;
  const int y = panel.y + static_cast<int>(std::lround(r.y * scale));
  for (int x = panel.x + static_cast<int>(r.x * scale); x < panel.x + static_cast<int>((r.x + r.width) * scale); ++x) {
    const cv::Vec3b p = strip.at<cv::Vec3b>(y, x);
    if (p[0] > 230 && p[1] > 230 && p[2] > 230) ++white;
  }
  return white;
}

}  // namespace

TEST(SteeringStrip, OutlinesTheRegionsThatSteeredTheCrop) {
  cv::Mat photo(400, 800, CV_8UC3, cv::Scalar(60, 60, 60));
  Steering steering;
  steering.steered_by = "xmp_faces";
  const RectF face{600, 120, 120, 120};
  steering.regions.push_back({RegionKind::Face, face, "Ann"});
  const CropPlan plan = steered_plan(steering);
  ASSERT_GE(plan.crops[0].box.x, 320);  // the face, not the subject on the left, holds the crop
  const ComparisonStrip strip = build_comparison(photo, plan);
  for (const auto& panel : strip.panels) {
    if (panel.kind != PanelKind::Original) continue;
    const double scale = static_cast<double>(panel.area.width) / photo.cols;
    EXPECT_GT(white_on_top_edge(strip.image, panel.area, face, scale), face.width * scale / 4) << "no dashed outline";
    const RectF elsewhere{100, 120, 120, 120};
    EXPECT_EQ(white_on_top_edge(strip.image, panel.area, elsewhere, scale), 0);
  }
  // The same plan without steering draws no region.
  const ComparisonStrip plain = build_comparison(photo, steered_plan(Steering()));
  for (const auto& panel : plain.panels) {
    if (panel.kind != PanelKind::Original) continue;
    const double scale = static_cast<double>(panel.area.width) / photo.cols;
    EXPECT_EQ(white_on_top_edge(plain.image, panel.area, face, scale), 0);
  }
}

#include "smartcrop/crop_planner.hpp"

#include "smartcrop/error.hpp"

namespace smartcrop {

CropPlan plan_crops(SaliencyResult saliency, int width, int height, const CropParams& params) {
  CropPlan plan;
  plan.width = width;
  plan.height = height;
  plan.saliency = std::move(saliency);
  const ScoreMap& score = plan.saliency.score;
  if (score.empty()) throw Error("", "empty saliency map");
  const MapPeak peak = find_peak(score);
  plan.peak_x = (peak.x + 0.5) * score.scale_x;
  plan.peak_y = (peak.y + 0.5) * score.scale_y;
  for (const auto& ratio : params.ratios) {
    CropChoice choice;
    choice.ratio = ratio;
    const WindowSize size = largest_window(width, height, ratio.value());
    choice.box = center_window_on(plan.peak_x, plan.peak_y, size, width, height);
    choice.confidence = mass_inside(plan.saliency.attention, choice.box);
    plan.crops.push_back(choice);
  }
  return plan;
}

cv::Mat cut_crop(const cv::Mat& image, const Box& box) {
  return image(cv::Rect(box.x, box.y, box.width, box.height)).clone();
}

}  // namespace smartcrop

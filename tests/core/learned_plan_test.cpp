// The learned window end to end in the library: the built-in backend's
// evidence, the shipped model file, and a backend without evidence (as DINO).
#include <gtest/gtest.h>

#include <random>

#include <opencv2/imgproc.hpp>

#include "smartcrop/backend_factory.hpp"
#include "smartcrop/crop_planner.hpp"
#include "smartcrop/error.hpp"
#include "smartcrop/window_model_file.hpp"

namespace smartcrop {
namespace {

// A plain noisy field with a bright textured subject at (cx, cy).
cv::Mat photo_with_subject(int w, int h, int cx, int cy, int radius) {
  cv::Mat image(h, w, CV_8UC3, cv::Scalar(90, 110, 100));
  cv::Mat noise(h, w, CV_8UC3);
  cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(4));
  image += noise;
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> offset(-radius, radius), channel(0, 255);
  for (int i = 0; i < 60; ++i) {
    cv::circle(image, cv::Point(cx + offset(rng), cy + offset(rng)), radius / 5,
               cv::Scalar(channel(rng), channel(rng), 255), cv::FILLED);
  }
  return image;
}

CropParams learned_params(double w, double h) {
  CropParams params;
  AspectRatio ratio;
  ratio.width = w;
  ratio.height = h;
  params.ratios = {ratio};
  params.strategy = Strategy::Learned;
  params.window_model = std::make_shared<const WindowModel>(load_window_model(resolve_window_model_path("")));
  return params;
}

TEST(LearnedPlan, BuiltinEvidenceHasTheModelsCuesOnTheMapGrid) {
  auto backend = make_builtin_saliency_backend(SaliencyParams{});
  const SaliencyResult result = backend->compute(photo_with_subject(900, 600, 700, 300, 60), "s.png");
  const WindowEvidence& ev = result.evidence;
  ASSERT_EQ(ev.cue_names, (std::vector<std::string>{"fine", "spectral", "border"}));
  for (const ScoreMap* map : {&ev.cues[0], &ev.cues[1], &ev.cues[2], &ev.edges, &ev.saliency}) {
    EXPECT_EQ(map->width, result.attention.width);
    EXPECT_EQ(map->height, result.attention.height);
  }
  EXPECT_GT(ev.gate, 0.04);
  EXPECT_LE(ev.gate, 1.0);
}

TEST(LearnedPlan, ShippedModelKeepsAnOffCentreSubject) {
  auto backend = make_builtin_saliency_backend(SaliencyParams{});
  const CropPlan plan =
      plan_crops(backend->compute(photo_with_subject(900, 600, 740, 300, 60), "s.png"), 900, 600, learned_params(1, 1));
  const Box& box = plan.crops.front().box;
  EXPECT_EQ(box.width, 600);
  EXPECT_GE(box.x + box.width, 800);  // the subject (x 680-800) is inside
  EXPECT_LE(box.x, 680);
  EXPECT_GT(plan.crops.front().confidence, 0.5);
}

TEST(LearnedPlan, BackendWithoutEvidenceUsesItsAttention) {
  SaliencyResult dino_like;  // attention only, as the DINO backend gives
  dino_like.attention = ScoreMap(30, 20, 30.0, 30.0);
  for (int y = 5; y < 10; ++y)
    for (int x = 2; x < 6; ++x) dino_like.attention.at(x, y) = 5.0f;
  dino_like.score = box_blur(dino_like.attention, 3);
  const CropPlan plan = plan_crops(dino_like, 900, 600, learned_params(1, 1));
  EXPECT_LE(plan.crops.front().box.x, 60);  // the subject (original x 60-180) is inside, not the centre crop
}

TEST(LearnedPlan, LearnedWithoutAModelIsAnError) {
  CropParams params = learned_params(1, 1);
  params.window_model.reset();
  SaliencyResult flat;
  flat.attention = ScoreMap(10, 10);
  flat.score = flat.attention;
  EXPECT_THROW(plan_crops(flat, 100, 100, params), Error);
}

}  // namespace
}  // namespace smartcrop

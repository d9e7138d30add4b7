// Choosing a backend without a model, and what the built-in saliency does on
// generated photos.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include <opencv2/imgproc.hpp>

#include "saliency/dino_plugin.hpp"
#include "smartcrop/backend_factory.hpp"
#include "smartcrop/crop_planner.hpp"
#include "smartcrop/error.hpp"

namespace smartcrop {
namespace {

const char* kMissingModel = "/nonexistent/smartcrop-test/dino_vits16.pt";

// A dull, slightly noisy grey-green field with a bright, textured subject
// centred at (cx, cy): what a photo of one thing on a plain background looks like.
cv::Mat photo_with_subject(int w, int h, int cx, int cy, int radius, unsigned seed) {
  cv::Mat image(h, w, CV_8UC3, cv::Scalar(90, 110, 100));
  cv::Mat noise(h, w, CV_8UC3);
  cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(4));
  image += noise;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> offset(-radius, radius), channel(0, 255);
  for (int i = 0; i < 60; ++i) {
    const cv::Point p(cx + offset(rng), cy + offset(rng));
    cv::circle(image, p, radius / 5, cv::Scalar(channel(rng), channel(rng), 255), cv::FILLED);
  }
  return image;
}

bool contains(const Box& box, int x0, int y0, int x1, int y1) {
  return box.x <= x0 && box.y <= y0 && box.x + box.width >= x1 && box.y + box.height >= y1;
}

CropParams one_ratio(double w, double h, Strategy strategy) {
  CropParams params;
  AspectRatio ratio;
  ratio.width = w;
  ratio.height = h;
  params.ratios = {ratio};
  params.strategy = strategy;
  return params;
}

TEST(BackendChoice, AutoWithoutModelFallsBackToSaliencyAndSaysWhy) {
  const BackendChoice choice = make_backend(BackendKind::Auto, kMissingModel, SaliencyParams{});
  ASSERT_NE(choice.backend, nullptr);
  EXPECT_EQ(choice.backend->name(), "saliency");
  EXPECT_NE(choice.fallback_reason.find(kMissingModel), std::string::npos) << choice.fallback_reason;
  // What makes a model here: the source tree's exporter (these tests run in a build tree),
  // or nothing, in a build without DINO.
  const char* fix = build_has_dino() ? "scripts/export_model.py" : "this build has no DINO support";
  EXPECT_NE(choice.fallback_reason.find(fix), std::string::npos) << choice.fallback_reason;
}

TEST(BackendChoice, ExplicitChoicesNeedNoFallback) {
  for (BackendKind kind : {BackendKind::Saliency, BackendKind::Center}) {
    const BackendChoice choice = make_backend(kind, kMissingModel, SaliencyParams{});
    EXPECT_TRUE(choice.fallback_reason.empty());
  }
}

// These tests run outside the plugin's folder: DINO is never available to them.
TEST(BackendChoice, DinoWithoutThePluginIsOneLineNamingTheFileAndTheFix) {
  try {
    make_backend(BackendKind::Dino, kMissingModel, SaliencyParams{});
    FAIL() << "expected smartcrop::Error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    if (build_has_dino()) {
      EXPECT_EQ(e.path(), dino_plugin_path());
      EXPECT_NE(what.find("libsmartcrop_dino.so: plugin not found"), std::string::npos) << what;
      EXPECT_NE(what.find("SMARTCROP_WITH_DINO=ON"), std::string::npos) << what;
    } else {
      EXPECT_NE(what.find("this build has no DINO support"), std::string::npos) << what;
    }
  }
}

TEST(BackendChoice, AutoInABuildWithoutDinoPassesAModelOverAndSaysWhy) {
  if (build_has_dino()) GTEST_SKIP() << "this build has DINO";
  const std::string model = testing::TempDir() + "/some_model.pt";
  std::ofstream(model) << "a model file";
  const BackendChoice choice = make_backend(BackendKind::Auto, model, SaliencyParams{});
  EXPECT_EQ(choice.backend->name(), "saliency");
  EXPECT_NE(choice.fallback_reason.find("no DINO support"), std::string::npos) << choice.fallback_reason;
  EXPECT_NE(choice.fallback_reason.find(model), std::string::npos) << choice.fallback_reason;
}

TEST(BackendChoice, AutoStrategyIsPeakForDinoAndMassOtherwise) {
  EXPECT_EQ(resolve_strategy(Strategy::Auto, "dino"), Strategy::Peak);
  EXPECT_EQ(resolve_strategy(Strategy::Auto, "saliency"), Strategy::Learned);
  EXPECT_EQ(resolve_strategy(Strategy::Auto, "center"), Strategy::Mass);
  EXPECT_EQ(resolve_strategy(Strategy::Peak, "saliency"), Strategy::Peak);
}

TEST(CenterBackend, GivesTheCentreBoxWithEitherStrategy) {
  const cv::Mat image = photo_with_subject(640, 480, 560, 240, 50, 1);
  auto backend = make_center_backend();
  for (Strategy strategy : {Strategy::Peak, Strategy::Mass}) {
    const CropPlan plan = plan_crops(backend->compute(image, "c.png"), 640, 480, one_ratio(1, 1, strategy));
    EXPECT_EQ(plan.crops.front().box, (Box{80, 0, 480, 480}));
  }
}

TEST(BuiltinSaliency, MapHasThePhotosGeometry) {
  auto backend = make_builtin_saliency_backend(SaliencyParams{});
  for (const cv::Size size : {cv::Size(1000, 750), cv::Size(480, 900), cv::Size(3000, 400), cv::Size(50, 40)}) {
    const SaliencyResult r = backend->compute(photo_with_subject(size.width, size.height, size.width / 2,
                                                                 size.height / 2, std::min(size.width, size.height) / 8, 2),
                                              "g.png");
    ASSERT_FALSE(r.attention.empty());
    EXPECT_NEAR(r.attention.width * r.attention.scale_x, size.width, 1e-6) << size;
    EXPECT_NEAR(r.attention.height * r.attention.scale_y, size.height, 1e-6) << size;
    EXPECT_EQ(r.score.width, r.attention.width);
    EXPECT_EQ(r.score.height, r.attention.height);
    EXPECT_GT(r.attention.total(), 0.0);
  }
}

TEST(BuiltinSaliency, OffCentreSubjectEndsUpInsideTheCrop) {
  auto backend = make_builtin_saliency_backend(SaliencyParams{});
  struct Case { int w, h, cx, cy; double rw, rh; };
  // Subjects near an edge, so that a centre crop would cut them.
  const Case cases[] = {{1200, 800, 1040, 300, 1, 1},
                        {1200, 800, 150, 500, 4, 5},
                        {800, 1200, 400, 1030, 16, 9},
                        {900, 900, 150, 700, 9, 16}};
  unsigned seed = 10;
  for (const Case& c : cases) {
    const int r = 70;
    const cv::Mat image = photo_with_subject(c.w, c.h, c.cx, c.cy, r, seed++);
    for (Strategy strategy : {Strategy::Mass, Strategy::Peak}) {
      const CropPlan plan = plan_crops(backend->compute(image, "s.png"), c.w, c.h, one_ratio(c.rw, c.rh, strategy));
      const CropChoice& crop = plan.crops.front();
      EXPECT_TRUE(contains(crop.box, c.cx - r, c.cy - r, c.cx + r, c.cy + r))
          << "subject at " << c.cx << "," << c.cy << " box " << crop.box.x << "," << crop.box.y << " "
          << crop.box.width << "x" << crop.box.height << (strategy == Strategy::Mass ? " mass" : " peak");
      EXPECT_GT(crop.confidence, 0.0);
      EXPECT_LE(crop.confidence, 1.0);
    }
  }
}

TEST(BuiltinSaliency, FlatPhotoGivesTheCentredCrop) {
  auto backend = make_builtin_saliency_backend(SaliencyParams{});
  const cv::Mat flat(600, 900, CV_8UC3, cv::Scalar(40, 80, 120));
  const CropPlan plan = plan_crops(backend->compute(flat, "f.png"), 900, 600, one_ratio(1, 1, Strategy::Mass));
  EXPECT_EQ(plan.crops.front().box, (Box{150, 0, 600, 600}));
}

}  // namespace
}  // namespace smartcrop

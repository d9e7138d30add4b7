// bf16 gives the crops fp32 gives: what a user switching --precision would notice.
#include "smartcrop/precision.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include <opencv2/imgproc.hpp>

#include "model/attention_model.hpp"
#include "smartcrop/crop_planner.hpp"
#include "model/dino_backend.hpp"
#include "smartcrop/ratio.hpp"

using namespace smartcrop;

namespace {

std::string full_model() { return std::string(SMARTCROP_TEST_MODEL_DIR) + "/vits16_random.pt"; }

// A smooth, textured background with a bright disc: some structure for the model.
cv::Mat generated_photo(int width, int height, unsigned seed) {
  cv::RNG rng(seed);
  cv::Mat coarse(height / 40 + 2, width / 40 + 2, CV_8UC3);
  rng.fill(coarse, cv::RNG::UNIFORM, cv::Scalar::all(40), cv::Scalar::all(200));
  cv::Mat photo;
  cv::resize(coarse, photo, cv::Size(width, height), 0, 0, cv::INTER_CUBIC);
  cv::Mat noise(height, width, CV_8UC3);
  rng.fill(noise, cv::RNG::UNIFORM, cv::Scalar::all(0), cv::Scalar::all(20));
  photo += noise;
  const cv::Point centre(rng.uniform(width / 5, 4 * width / 5), rng.uniform(height / 5, 4 * height / 5));
  cv::circle(photo, centre, std::min(width, height) / 7, cv::Scalar(30, 40, 240), cv::FILLED);
  return photo;
}

double correlation(const std::vector<float>& a, const std::vector<float>& b) {
  double mean_a = 0, mean_b = 0;
  for (size_t i = 0; i < a.size(); ++i) mean_a += a[i], mean_b += b[i];
  mean_a /= a.size();
  mean_b /= b.size();
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ab += (a[i] - mean_a) * (b[i] - mean_b);
    aa += (a[i] - mean_a) * (a[i] - mean_a);
    bb += (b[i] - mean_b) * (b[i] - mean_b);
  }
  return ab / std::sqrt(aa * bb);
}

}  // namespace

TEST(Precision, AutoIsBf16ExactlyWhereTheCpuHasIt) {
  EXPECT_EQ(resolve_precision(Precision::Auto), cpu_has_native_bf16() ? Precision::Bf16 : Precision::Fp32);
  EXPECT_EQ(resolve_precision(Precision::Fp32), Precision::Fp32);
  EXPECT_EQ(resolve_precision(Precision::Bf16), Precision::Bf16);
}

TEST(Precision, Bf16GivesTheCropsAndAttentionOfFp32) {
  if (!cpu_has_native_bf16()) GTEST_SKIP() << "this CPU has no native bf16 (avx512_bf16/amx_bf16)";
  SaliencyParams params;  // default input size, head votes, blur
  DinoBackend fp32(AttentionModel::load(full_model(), Precision::Fp32), params);
  DinoBackend bf16(AttentionModel::load(full_model(), Precision::Bf16), params);
  ASSERT_EQ(fp32.model().info().precision, Precision::Fp32);
  ASSERT_EQ(bf16.model().info().precision, Precision::Bf16);
  CropParams crop;
  crop.ratios = {parse_ratio("16:9"), parse_ratio("4:5")};

  struct Shape { int w, h; };
  unsigned seed = 1;
  for (Shape shape : {Shape{1200, 800}, Shape{700, 1050}, Shape{900, 900}, Shape{2400, 700}}) {
    SCOPED_TRACE(std::to_string(shape.w) + "x" + std::to_string(shape.h));
    const cv::Mat photo = generated_photo(shape.w, shape.h, seed++);
    CropPlan plan32 = plan_crops(fp32.compute(photo, "photo"), photo.cols, photo.rows, crop);
    CropPlan plan16 = plan_crops(bf16.compute(photo, "photo"), photo.cols, photo.rows, crop);

    // Per head, on the raw attention: head votes may flip a patch at the threshold.
    const HeadAttention& a = *fp32.last_heads();
    const HeadAttention& b = *bf16.last_heads();
    ASSERT_EQ(a.values.size(), b.values.size());
    const size_t cells = static_cast<size_t>(a.grid_width) * a.grid_height;
    for (int h = 0; h < a.heads; ++h) {
      const std::vector<float> ha(a.head(h), a.head(h) + cells), hb(b.head(h), b.head(h) + cells);
      EXPECT_GE(correlation(ha, hb), 0.999) << "head " << h;
    }
    for (size_t i = 0; i < plan32.crops.size(); ++i) {
      const Box& p = plan32.crops[i].box;
      const Box& q = plan16.crops[i].box;
      EXPECT_LE(std::abs(p.x - q.x), 2) << crop.ratios[i].label;
      EXPECT_LE(std::abs(p.y - q.y), 2) << crop.ratios[i].label;
      EXPECT_EQ(p.width, q.width);
      EXPECT_EQ(p.height, q.height);
    }
  }
}

// The built-in backend's own fine-grained saliency must give the window search
// exactly OpenCV's map: the learned window model was fitted on it.
#include "saliency/fine_grained.hpp"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <opencv2/saliency.hpp>

namespace smartcrop {
namespace {

cv::Mat opencv_fine_grained(const cv::Mat& image) {
  cv::Mat map;
  EXPECT_TRUE(cv::saliency::StaticSaliencyFineGrained::create()->computeSaliency(image, map));
  return map;
}

// Counts the pixels where the two maps differ (by any amount); -1 if they differ in size or type.
int differing_pixels(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return -1;
  return cv::countNonZero(a != b);
}

// A photo-like test image: a smooth background, a few soft and hard-edged shapes, and noise.
cv::Mat scene(int width, int height, unsigned seed) {
  cv::Mat image(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(60 + 100 * y / height), static_cast<uchar>(90 + 80 * x / width), 120);
    }
  }
  cv::RNG rng(seed);
  for (int i = 0; i < 6; ++i) {
    const cv::Point centre(rng.uniform(0, width), rng.uniform(0, height));
    const int radius = rng.uniform(2, std::max(3, std::min(width, height) / 4));
    cv::circle(image, centre, radius, cv::Scalar(rng.uniform(0, 256), rng.uniform(0, 256), rng.uniform(0, 256)), -1);
  }
  cv::Mat noise(image.size(), CV_8UC3);
  rng.fill(noise, cv::RNG::NORMAL, 0, 12);
  return image + noise;
}

TEST(FineGrainedSaliency, SameValuesAsOpenCVsOnPhotoLikeImages) {
  unsigned seed = 1;
  // The analysis sizes of landscape, portrait and panorama photos, odd sizes, and the smallest photo.
  for (const cv::Size size : {cv::Size(320, 240), cv::Size(240, 360), cv::Size(1024, 137), cv::Size(333, 187),
                              cv::Size(16, 16), cv::Size(50, 40)}) {
    const cv::Mat image = scene(size.width, size.height, seed++);
    EXPECT_EQ(differing_pixels(fine_grained_saliency(image), opencv_fine_grained(image)), 0) << size;
  }
}

TEST(FineGrainedSaliency, SameValuesAsOpenCVsOnNoiseAndWhereItsCastWraps) {
  cv::Mat noise(240, 320, CV_8UC3);
  cv::RNG(7).fill(noise, cv::RNG::UNIFORM, 0, 256);
  EXPECT_EQ(differing_pixels(fine_grained_saliency(noise), opencv_fine_grained(noise)), 0);
  // A grey dot in a black disk on white: brighter than its near surround, darker than
  // its far one, so on + off passes 255 at ~40 pixels and OpenCV's 8-bit cast wraps.
  cv::Mat dot(240, 320, CV_8UC3, cv::Scalar::all(255));
  cv::circle(dot, {160, 120}, 30, cv::Scalar::all(0), -1);
  cv::circle(dot, {160, 120}, 5, cv::Scalar::all(160), -1);
  EXPECT_EQ(differing_pixels(fine_grained_saliency(dot), opencv_fine_grained(dot)), 0);
}

TEST(FineGrainedSaliency, FlatAndGreyImagesToo) {
  const cv::Mat flat(120, 160, CV_8UC3, cv::Scalar(40, 80, 120));
  const cv::Mat map = fine_grained_saliency(flat);
  EXPECT_EQ(differing_pixels(map, opencv_fine_grained(flat)), 0);
  EXPECT_EQ(cv::countNonZero(map), 0);
  cv::Mat grey;
  cv::cvtColor(scene(200, 150, 3), grey, cv::COLOR_BGR2GRAY);
  EXPECT_EQ(differing_pixels(fine_grained_saliency(grey), opencv_fine_grained(grey)), 0);
}

}  // namespace
}  // namespace smartcrop

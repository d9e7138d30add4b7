// The built-in backend's analysis copy must be exactly OpenCV's INTER_AREA
// resize: the learned window model was fitted on maps made from it.
#include "saliency/area_resize.hpp"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

namespace smartcrop {
namespace {

// Counts the bytes where the two images differ; -1 if they differ in size or type.
int differing_bytes(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return -1;
  const cv::Mat differs = a != b;
  return cv::countNonZero(differs.reshape(1));
}

cv::Mat opencv_area(const cv::Mat& src, cv::Size size) {
  cv::Mat out;
  cv::resize(src, out, size, 0, 0, cv::INTER_AREA);
  return out;
}

// Noise over a gradient with a few hard-edged shapes: every byte value, edges, flat parts.
cv::Mat test_photo(int width, int height, int type, unsigned seed) {
  cv::Mat image(height, width, type);
  cv::RNG rng(seed);
  rng.fill(image, cv::RNG::UNIFORM, 0, 256);
  cv::Mat gradient(height, width, type);
  for (int y = 0; y < height; ++y) gradient.row(y).setTo(cv::Scalar::all(255.0 * y / height));
  cv::addWeighted(image, 0.3, gradient, 0.7, 0, image);
  for (int i = 0; i < 5; ++i) {
    cv::rectangle(image, cv::Rect(rng.uniform(0, width), rng.uniform(0, height), width / 5, height / 7),
                  cv::Scalar(rng.uniform(0, 256), rng.uniform(0, 256), rng.uniform(0, 256), 255), -1);
  }
  return image;
}

TEST(AreaDownscale, SameBytesAsOpenCVAtTheBackendsAnalysisSizes) {
  struct Case { int w, h, out_w, out_h; };
  // A 1 MP photo, a 12 MP one, a small web photo, a portrait, a panorama, odd sizes.
  const Case cases[] = {{1155, 866, 320, 240}, {4000, 3000, 320, 240}, {800, 533, 360, 240}, {375, 500, 240, 320},
                        {3000, 400, 1024, 137}, {1001, 777, 309, 240}, {241, 240, 240, 239}};
  unsigned seed = 1;
  for (const Case& c : cases) {
    const cv::Mat image = test_photo(c.w, c.h, CV_8UC3, seed++);
    const cv::Size size(c.out_w, c.out_h);
    EXPECT_EQ(differing_bytes(area_downscale(image, size), opencv_area(image, size)), 0)
        << c.w << "x" << c.h << " -> " << size;
  }
}

TEST(AreaDownscale, SameBytesForOtherChannelCountsAndOpenCVsOwnPaths) {
  unsigned seed = 20;
  for (const int type : {CV_8UC1, CV_8UC3, CV_8UC4}) {
    const cv::Mat image = test_photo(640, 480, type, seed++);
    // Non-integer factors, then an integer factor, a copy, and a widening (OpenCV's own paths).
    for (const cv::Size size : {cv::Size(213, 160), cv::Size(100, 77), cv::Size(320, 240), cv::Size(640, 480),
                                cv::Size(700, 400)}) {
      EXPECT_EQ(differing_bytes(area_downscale(image, size), opencv_area(image, size)), 0) << size << " type " << type;
    }
  }
}

TEST(AreaDownscale, ViewsIntoALargerImageToo) {
  const cv::Mat image = test_photo(900, 700, CV_8UC3, 5);
  const cv::Mat view = image(cv::Rect(13, 7, 800, 600));
  EXPECT_EQ(differing_bytes(area_downscale(view, {300, 225}), opencv_area(view, {300, 225})), 0);
}

}  // namespace
}  // namespace smartcrop

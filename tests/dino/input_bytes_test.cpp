// 8-bit inputs normalised on the device (issue 25): the GPU is sent the resized RGB bytes,
// a quarter of the float32 input, and normalises them itself. The maps stay the same only
// if that gives the very floats the CPU path gives: checked here bit for bit, with Torch's
// CPU kernels standing in for the GPU's (both compute v * scale, - mean, / std in float32,
// correctly rounded).
#include <gtest/gtest.h>

#include <cstring>

#include <ATen/ATen.h>
#include <opencv2/core.hpp>

#include "model/attention_model.hpp"
#include "model/torch_model.hpp"

using namespace smartcrop;

namespace {

cv::Mat noise_photo(int width, int height, int seed) {
  cv::Mat photo(height, width, CV_8UC3);
  cv::RNG rng(static_cast<std::uint64_t>(seed));
  rng.fill(photo, cv::RNG::UNIFORM, 0, 256);
  return photo;
}

at::Tensor constants(const float (&values)[3]) {
  return at::tensor({values[0], values[1], values[2]}, at::kFloat).view({1, 3, 1, 1});
}

}  // namespace

TEST(InputBytes, NormalisingTheBytesGivesTheFloatsOfTheCpuPathBitForBit) {
  // Every byte value in every channel, at several sizes and both resize directions.
  struct Case { int w, h, size; };
  for (Case c : {Case{900, 600, 480}, Case{300, 200, 480}, Case{640, 640, 224}, Case{1500, 500, 480}}) {
    const cv::Mat photo = noise_photo(c.w, c.h, c.w + c.h);
    const ModelInput floats = prepare_model_input(photo, c.size, 16, InputFormat::Floats);
    const ModelInput bytes = prepare_model_input(photo, c.size, 16, InputFormat::Bytes);
    ASSERT_TRUE(bytes.chw.empty());
    ASSERT_EQ(bytes.rgb.type(), CV_8UC3);
    ASSERT_EQ(bytes.rgb.cols, floats.width);
    ASSERT_EQ(bytes.rgb.rows, floats.height);
    const ModelInput* batch[] = {&bytes, &bytes};
    const at::Tensor pixels = pack_pixels({batch[0], batch[1]}, /*pinned=*/false);
    ASSERT_EQ(pixels.sizes(), (at::IntArrayRef{2, floats.height, floats.width, 3}));
    const at::Tensor normalised =
        normalise_pixels(pixels, constants(kImageNetMean), constants(kImageNetStd)).contiguous();
    ASSERT_EQ(normalised.sizes(), (at::IntArrayRef{2, 3, floats.height, floats.width}));
    const std::size_t count = 3 * static_cast<std::size_t>(floats.height) * floats.width;
    for (int b = 0; b < 2; ++b) {
      const float* got = normalised.data_ptr<float>() + b * count;
      EXPECT_EQ(std::memcmp(got, floats.chw.ptr<float>(), count * sizeof(float)), 0)
          << c.w << "x" << c.h << " at " << c.size << ", photo " << b;
    }
  }
  // All 256 values of a byte: the scale is OpenCV's float(1/255), not a division by 255.
  cv::Mat ramp(16, 16, CV_8UC3);
  for (int i = 0; i < 256; ++i) ramp.at<cv::Vec3b>(i / 16, i % 16) = cv::Vec3b(i, 255 - i, i);
  const ModelInput floats = prepare_model_input(ramp, 16, 16, InputFormat::Floats);
  const ModelInput bytes = prepare_model_input(ramp, 16, 16, InputFormat::Bytes);
  const at::Tensor normalised =
      normalise_pixels(pack_pixels({&bytes}, false), constants(kImageNetMean), constants(kImageNetStd)).contiguous();
  EXPECT_EQ(std::memcmp(normalised.data_ptr<float>(), floats.chw.ptr<float>(), 3 * 16 * 16 * sizeof(float)), 0);
}

#include "model/attention_model.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <opencv2/imgproc.hpp>

#include "smartcrop/error.hpp"

using namespace smartcrop;

namespace {

std::string model_path(const char* name) { return std::string(SMARTCROP_TEST_MODEL_DIR) + "/" + name; }

cv::Mat noise_photo(int width, int height) {
  cv::Mat photo(height, width, CV_8UC3);
  cv::randu(photo, cv::Scalar::all(0), cv::Scalar::all(255));
  return photo;
}

void expect_maps_for_shapes(AttentionModel& model, int heads, int input_size) {
  struct Shape { int w, h; };
  for (Shape shape : {Shape{900, 600}, Shape{600, 900}, Shape{700, 700}, Shape{2000, 500}}) {
    ModelInput input = prepare_model_input(noise_photo(shape.w, shape.h), input_size, 16);
    ASSERT_EQ(std::min(input.resized_width, input.resized_height), input_size);
    HeadAttention attention = model.forward(input);
    EXPECT_EQ(attention.heads, heads);
    EXPECT_EQ(attention.grid_width, input.width / 16) << shape.w << "x" << shape.h;
    EXPECT_EQ(attention.grid_height, input.height / 16) << shape.w << "x" << shape.h;
    ASSERT_EQ(attention.values.size(), static_cast<size_t>(heads * attention.grid_width * attention.grid_height));
    // CLS-to-patch attention is a softmax row without the CLS column: in (0, 1].
    for (int h = 0; h < heads; ++h) {
      double sum = 0.0;
      for (int i = 0; i < attention.grid_width * attention.grid_height; ++i) {
        ASSERT_GE(attention.head(h)[i], 0.0f);
        sum += attention.head(h)[i];
      }
      EXPECT_GT(sum, 0.0);
      EXPECT_LE(sum, 1.0 + 1e-5);
    }
  }
}

}  // namespace

TEST(AttentionModel, TinyRandomModelGivesOneMapPerHeadForAnyShape) {
  auto model = AttentionModel::load(model_path("tiny_random.pt"));
  EXPECT_TRUE(model->info().random_weights);
  EXPECT_NE(model->info().weights_source.find("RANDOM"), std::string::npos);
  EXPECT_EQ(model->info().heads, 3);
  expect_maps_for_shapes(*model, 3, 480);
}

TEST(AttentionModel, FullSizeRandomViTS16GivesSixHeadsForAnyShape) {
  auto model = AttentionModel::load(model_path("vits16_random.pt"));
  EXPECT_EQ(model->info().architecture, "vit_small");
  EXPECT_EQ(model->info().patch_size, 16);
  EXPECT_TRUE(model->info().random_weights);
  expect_maps_for_shapes(*model, 6, 224);
}

TEST(AttentionModel, MissingFileSaysHowToGetAModel) {
  try {
    AttentionModel::load("/nonexistent/dino.pt");
    FAIL() << "loaded a missing model";
  } catch (const Error& e) {
    EXPECT_EQ(e.path(), "/nonexistent/dino.pt");
    EXPECT_NE(e.reason().find("export_model.py"), std::string::npos) << e.what();
  }
}

TEST(AttentionModel, CorruptFileIsAnErrorNamingIt) {
  const std::string path = testing::TempDir() + "/corrupt_model.pt";
  std::ofstream(path) << "this is not a TorchScript archive";
  try {
    AttentionModel::load(path);
    FAIL() << "loaded a corrupt model";
  } catch (const Error& e) {
    EXPECT_EQ(e.path(), path);
    EXPECT_NE(e.reason().find("cannot load model"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "error must be one line";
  }
}

TEST(PrepareModelInput, TrimsToPatchMultiplesAndRejectsTinyImages) {
  ModelInput input = prepare_model_input(noise_photo(1000, 750), 480, 16);
  EXPECT_EQ(input.resized_height, 480);
  EXPECT_EQ(input.resized_width, 640);
  EXPECT_EQ(input.width, 640);
  EXPECT_EQ(input.height, 480);
  input = prepare_model_input(noise_photo(1001, 700), 480, 16);
  EXPECT_EQ(input.resized_width, 686);
  EXPECT_EQ(input.width, 672);
  EXPECT_EQ(input.chw.rows, 3 * 480);
  EXPECT_THROW(prepare_model_input(noise_photo(4000, 10), 8, 16), Error);
}

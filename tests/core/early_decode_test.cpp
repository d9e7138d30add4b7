// Decoding the first photos of a run while the model loads (EarlyDecode): the same
// images and the same errors as decoding them in the pipeline, each handed out once.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <opencv2/imgcodecs.hpp>

#include "smartcrop/early_decode.hpp"
#include "smartcrop/error.hpp"

namespace fs = std::filesystem;

namespace smartcrop {
namespace {

class EarlyDecodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("smartcrop_early_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (int i = 0; i < 4; ++i) {
      cv::imwrite(path(i), cv::Mat(40 + i, 60, CV_8UC3, cv::Scalar(10 * i, 20, 30)));
    }
    spec_.paths = {dir_.string()};
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(int i) const { return (dir_ / ("p" + std::to_string(i) + ".png")).string(); }

  fs::path dir_;
  InputSpec spec_;
};

TEST_F(EarlyDecodeTest, HandsOutTheFirstPhotosOnceEachAndNothingElse) {
  EarlyDecode early(spec_, LoadOptions{}, 2);
  auto second = early.take(path(1));
  ASSERT_TRUE(second.has_value());
  const DecodedImage expected = load_image(path(1));
  EXPECT_EQ(second->height(), 41);
  EXPECT_EQ(cv::norm(second->pixels, expected.pixels, cv::NORM_INF), 0.0);
  EXPECT_FALSE(early.take(path(1)).has_value());  // once
  EXPECT_TRUE(early.take(path(0)).has_value());
  EXPECT_FALSE(early.take(path(2)).has_value());  // beyond the first two
  EXPECT_FALSE(early.take("elsewhere.png").has_value());
}

TEST_F(EarlyDecodeTest, ACorruptPhotoThrowsTheErrorDecodingWouldHave) {
  std::ofstream(path(0), std::ios::binary | std::ios::trunc) << "\x89PNG\r\n\x1a\n not really";
  EarlyDecode early(spec_, LoadOptions{}, 2);
  try {
    early.take(path(0));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.path(), path(0));
    try {
      load_image(path(0));
    } catch (const Error& direct) {
      EXPECT_EQ(std::string(e.what()), std::string(direct.what()));
    }
  }
  EXPECT_TRUE(early.take(path(1)).has_value());
}

TEST_F(EarlyDecodeTest, AMissingPhotoIsTheSameErrorAndAnUnreadableListGivesNothingEarly) {
  const std::string missing = (dir_ / "missing.jpg").string();
  spec_.paths = {missing};
  {
    EarlyDecode early(spec_, LoadOptions{}, 2);
    EXPECT_THROW(early.take(missing), Error);
  }
  spec_.paths.clear();
  spec_.list_file = (dir_ / "no-such-list.txt").string();  // collect_inputs throws: run_batch reports it
  {
    EarlyDecode early(spec_, LoadOptions{}, 2);
    EXPECT_FALSE(early.take(path(0)).has_value());
  }
  spec_.list_file = "-";  // standard input is run_batch's to read
  EarlyDecode early(spec_, LoadOptions{}, 2);
  EXPECT_FALSE(early.take(path(0)).has_value());
}

}  // namespace
}  // namespace smartcrop

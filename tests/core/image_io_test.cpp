// Decoding odd images and writing atomically.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <opencv2/imgcodecs.hpp>

#include "smartcrop/error.hpp"
#include "smartcrop/image_io.hpp"

namespace fs = std::filesystem;

namespace smartcrop {
namespace {

std::vector<std::uint8_t> encode(const std::string& ext, const cv::Mat& image, std::vector<int> params = {}) {
  std::vector<std::uint8_t> bytes;
  EXPECT_TRUE(cv::imencode(ext, image, bytes, params));
  return bytes;
}

cv::Mat colour(int w, int h, int type = CV_8UC3, cv::Scalar value = {10, 20, 200, 77}) {
  return cv::Mat(h, w, type, value);
}

TEST(ReadImageHeader, SizesAndCompletenessWithoutDecoding) {
  for (const char* ext : {".jpg", ".png", ".webp", ".bmp"}) {
    const auto bytes = encode(ext, colour(123, 45));
    const ImageHeader h = read_image_header(bytes);
    EXPECT_EQ(h.width, 123) << ext;
    EXPECT_EQ(h.height, 45) << ext;
    EXPECT_TRUE(h.complete) << ext;
    EXPECT_FALSE(h.malformed) << ext;
  }
  const auto progressive = encode(".jpg", colour(64, 32), {cv::IMWRITE_JPEG_PROGRESSIVE, 1});
  EXPECT_TRUE(read_image_header(progressive).complete);
}

TEST(ReadImageHeader, TiffSizeComesFromItsFirstDirectory) {
  for (int type : {CV_8UC3, CV_16UC1}) {
    const auto bytes = encode(".tif", colour(123, 45, type));
    const ImageHeader h = read_image_header(bytes);
    EXPECT_EQ(h.format, "tiff");
    EXPECT_EQ(h.width, 123);
    EXPECT_EQ(h.height, 45);
  }
}

// Found by fuzz_image_header (tests/fuzz/regressions/fuzz_image_header/bmp-negative-width):
// a BMP claiming a negative width gave a negative pixel count that passed the bomb guard.
TEST(ReadImageHeader, BmpWithNegativeWidthIsCorruptNotNegative) {
  auto bytes = encode(".bmp", colour(30, 20));
  const std::uint8_t negative[] = {0x00, 0x04, 0x00, 0x80};  // -2147482624, little-endian
  std::copy(negative, negative + 4, bytes.begin() + 18);
  const ImageHeader h = read_image_header(bytes);
  EXPECT_TRUE(h.malformed);
  EXPECT_GE(h.width, 0);
  try {
    decode_image("neg.bmp", bytes);
    ADD_FAILURE() << "decoded";
  } catch (const Error& e) {
    EXPECT_NE(e.reason().find("corrupt bmp"), std::string::npos) << e.reason();
  }
}

// Found by fuzz_exif (tests/fuzz/regressions/fuzz_exif/ifd-offset-wraps): an IFD offset
// near 4 GiB wrapped around the bounds check and the reader jumped outside the buffer.
TEST(ReadExifOrientation, IfdOffsetNearFourGigabytesIsIgnored) {
  auto jpeg = encode(".jpg", colour(16, 8));
  const std::uint8_t app1[] = {0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0x00, 0x2A,
                               0xFF, 0xFF, 0xFF, 0xFE, 0x00, 0x01, 0x01, 0x12, 0x00, 0x03, 0x00, 0x00,
                               0x00, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  jpeg.insert(jpeg.begin() + 2, std::begin(app1), std::end(app1));
  EXPECT_EQ(read_exif_orientation(jpeg), 1);
  const std::uint8_t right_after_header[] = {0x00, 0x00, 0x00, 0x08};
  std::copy(right_after_header, right_after_header + 4, jpeg.begin() + 16);  // the same block, sane: orientation 6
  EXPECT_EQ(read_exif_orientation(jpeg), 6);
  EXPECT_EQ(decode_image("rot.jpg", jpeg).width(), 8);
}

TEST(DecodeImage, TruncatedFilesAreRefusedWithTheirOwnMessage) {
  for (const char* ext : {".jpg", ".png", ".webp"}) {
    cv::Mat noise(200, 300, CV_8UC3);
    cv::randu(noise, 0, 255);
    auto bytes = encode(ext, noise);
    bytes.resize(bytes.size() / 2);
    try {
      decode_image("cut", bytes);
      ADD_FAILURE() << ext << " decoded";
    } catch (const Error& e) {
      EXPECT_NE(e.reason().find("truncated"), std::string::npos) << ext << ": " << e.reason();
    }
  }
}

TEST(DecodeImage, MaxPixelsActsOnTheHeader) {
  auto bytes = encode(".png", colour(100, 100));
  // Claim 60000 x 60000 in IHDR: the guard must refuse before any decoder allocates.
  const std::uint8_t big[] = {0x00, 0x00, 0xEA, 0x60};
  std::copy(big, big + 4, bytes.begin() + 16);
  std::copy(big, big + 4, bytes.begin() + 20);
  try {
    decode_image("bomb.png", bytes);
    ADD_FAILURE() << "bomb decoded";
  } catch (const Error& e) {
    EXPECT_NE(e.reason().find("60000x60000"), std::string::npos) << e.reason();
  }
  LoadOptions tight;
  tight.max_pixels = 99 * 100;
  EXPECT_THROW(decode_image("a.png", encode(".png", colour(100, 100)), tight), Error);
}

TEST(DecodeImage, GrayDeepAndAlphaGiveBgrPixelsAndKeepTheOriginal) {
  const DecodedImage deep = decode_image("d.png", encode(".png", colour(40, 30, CV_16UC3, {1000, 2000, 60000})));
  EXPECT_EQ(deep.pixels.type(), CV_8UC3);
  EXPECT_EQ(deep.original.type(), CV_16UC3);
  const DecodedImage alpha = decode_image("a.png", encode(".png", colour(40, 30, CV_8UC4)));
  EXPECT_EQ(alpha.original.channels(), 4);
  EXPECT_EQ(alpha.pixels.type(), CV_8UC3);
  const DecodedImage gray = decode_image("g.png", encode(".png", colour(40, 30, CV_8UC1, {90})));
  EXPECT_EQ(gray.pixels.type(), CV_8UC3);
  EXPECT_EQ(gray.pixels.at<cv::Vec3b>(0, 0), cv::Vec3b(90, 90, 90));
}

TEST(ApplyOrientation, EveryTagTurnsTheStoredImageUpright) {
  // Upright 3x2 image with distinct values; stored forms per EXIF orientation.
  cv::Mat upright = (cv::Mat_<uchar>(2, 3) << 1, 2, 3, 4, 5, 6);
  const cv::Mat stored[9] = {{},
                             upright,
                             (cv::Mat_<uchar>(2, 3) << 3, 2, 1, 6, 5, 4),
                             (cv::Mat_<uchar>(2, 3) << 6, 5, 4, 3, 2, 1),
                             (cv::Mat_<uchar>(2, 3) << 4, 5, 6, 1, 2, 3),
                             (cv::Mat_<uchar>(3, 2) << 1, 4, 2, 5, 3, 6),
                             (cv::Mat_<uchar>(3, 2) << 3, 6, 2, 5, 1, 4),
                             (cv::Mat_<uchar>(3, 2) << 6, 3, 5, 2, 4, 1),
                             (cv::Mat_<uchar>(3, 2) << 4, 1, 5, 2, 6, 3)};
  for (int o = 1; o <= 8; ++o) {
    const cv::Mat out = apply_orientation(stored[o], o);
    ASSERT_EQ(out.size(), upright.size()) << o;
    EXPECT_EQ(cv::countNonZero(out != upright), 0) << "orientation " << o;
  }
}

class WriteImage : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("smartcrop_write_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  bool has_temp_files() const {
    for (const auto& e : fs::directory_iterator(dir_)) {
      if (e.path().filename().string().find(".tmp-") != std::string::npos) return true;
    }
    return false;
  }
  fs::path dir_;
};

TEST_F(WriteImage, RefusesToReplaceWithoutOverwriteAndLeavesNoTemp) {
  const std::string path = (dir_ / "x.jpg").string();
  std::ofstream(path) << "old";
  WriteOptions keep;
  keep.overwrite = false;
  EXPECT_THROW(write_image_atomic(path, colour(20, 10), keep), Error);
  EXPECT_EQ(fs::file_size(path), 3u);
  keep.keep_existing = true;  // --skip-existing: the file is kept and that is no error
  EXPECT_FALSE(write_image_atomic(path, colour(20, 10), keep));
  EXPECT_EQ(fs::file_size(path), 3u);
  EXPECT_TRUE(write_image_atomic(path, colour(20, 10)));
  EXPECT_GT(fs::file_size(path), 3u);
  EXPECT_FALSE(has_temp_files());
}

TEST_F(WriteImage, PngKeepsAlphaAndDepthJpegFlattens) {
  const std::string png = (dir_ / "a.png").string(), jpg = (dir_ / "a.jpg").string();
  write_image_atomic(png, colour(20, 10, CV_16UC4, {1, 2, 3, 4000}));
  EXPECT_EQ(cv::imread(png, cv::IMREAD_UNCHANGED).type(), CV_16UC4);
  write_image_atomic(jpg, colour(20, 10, CV_16UC4, {1, 2, 3, 4000}));
  EXPECT_EQ(cv::imread(jpg, cv::IMREAD_UNCHANGED).type(), CV_8UC3);
  EXPECT_THROW(write_image_atomic((dir_ / "a.gif").string(), colour(2, 2)), Error);
  EXPECT_FALSE(has_temp_files());
}

}  // namespace
}  // namespace smartcrop

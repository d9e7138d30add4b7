#include "smartcrop/image_io.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "smartcrop/error.hpp"

namespace fs = std::filesystem;

namespace smartcrop {

namespace {

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw Error(path, "no such file");
  if (fs::is_directory(status)) throw Error(path, "is a folder, not an image");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path, std::string("cannot open: ") + std::strerror(errno));
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(path, "read error");
  return bytes;
}

// Converts any decoded image (gray, gray+alpha, BGRA, 16-bit, float) to 8-bit BGR.
cv::Mat to_bgr8(const cv::Mat& image) {
  cv::Mat eight;
  switch (image.depth()) {
    case CV_8U: eight = image; break;
    case CV_16U: image.convertTo(eight, CV_8U, 1.0 / 257.0); break;
    case CV_32F:
    case CV_64F: image.convertTo(eight, CV_8U, 255.0); break;
    default: image.convertTo(eight, CV_8U); break;
  }
  cv::Mat bgr;
  switch (eight.channels()) {
    case 1: cv::cvtColor(eight, bgr, cv::COLOR_GRAY2BGR); break;
    case 2: {
      std::vector<cv::Mat> planes;
      cv::split(eight, planes);
      cv::cvtColor(planes[0], bgr, cv::COLOR_GRAY2BGR);
      break;
    }
    case 3: bgr = eight; break;
    case 4: cv::cvtColor(eight, bgr, cv::COLOR_BGRA2BGR); break;
    default: throw std::runtime_error("unsupported channel count " + std::to_string(eight.channels()));
  }
  return bgr;
}

std::string lower_extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

}  // namespace

DecodedImage decode_image(const std::string& path, const std::vector<std::uint8_t>& bytes,
                          const LoadOptions& options) {
  if (bytes.empty()) throw Error(path, "empty file");
  cv::Mat decoded;
  try {
    decoded = cv::imdecode(bytes, cv::IMREAD_UNCHANGED | cv::IMREAD_IGNORE_ORIENTATION);
  } catch (const cv::Exception& e) {
    throw Error(path, std::string("cannot decode image: ") + e.err);
  }
  if (decoded.empty()) throw Error(path, "cannot decode image (not a JPEG/PNG/WebP/TIFF/BMP, or corrupt)");
  const std::int64_t pixels = static_cast<std::int64_t>(decoded.cols) * decoded.rows;
  if (options.max_pixels > 0 && pixels > options.max_pixels) {
    throw Error(path, "image has " + std::to_string(pixels) + " pixels, more than --max-pixels " +
                          std::to_string(options.max_pixels));
  }
  DecodedImage image;
  image.orientation = read_exif_orientation(bytes);
  try {
    image.original = apply_orientation(decoded, image.orientation);
    image.pixels = to_bgr8(image.original);
  } catch (const std::exception& e) {
    throw Error(path, std::string("cannot convert image: ") + e.what());
  }
  return image;
}

DecodedImage load_image(const std::string& path, const LoadOptions& options) {
  return decode_image(path, read_file(path), options);
}

void write_image_atomic(const std::string& path, const cv::Mat& image, const WriteOptions& options) {
  const std::string ext = lower_extension(path);
  std::vector<int> params;
  if (ext == ".jpg" || ext == ".jpeg") {
    params = {cv::IMWRITE_JPEG_QUALITY, options.jpeg_quality};
  } else if (ext == ".webp") {
    params = {cv::IMWRITE_WEBP_QUALITY, std::clamp(options.jpeg_quality, 1, 100)};
  } else if (ext == ".png") {
    params = {cv::IMWRITE_PNG_COMPRESSION, 3};
  } else {
    throw Error(path, "unsupported output format '" + ext + "' (use .jpg, .png or .webp)");
  }
  if (!options.overwrite && fs::exists(path)) throw Error(path, "output exists (use --overwrite)");

  std::vector<std::uint8_t> encoded;
  try {
    if (!cv::imencode(ext, image, encoded, params)) throw Error(path, "cannot encode image");
  } catch (const cv::Exception& e) {
    throw Error(path, std::string("cannot encode image: ") + e.err);
  }

  fs::path target(path);
  fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::string temp = (folder / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  int fd = mkstemp(temp.data());
  if (fd < 0) throw Error(path, std::string("cannot write: ") + std::strerror(errno));
  std::size_t written = 0;
  while (written < encoded.size()) {
    ssize_t n = ::write(fd, encoded.data() + written, encoded.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      throw Error(path, std::string("cannot write: ") + std::strerror(err));
    }
    written += static_cast<std::size_t>(n);
  }
  ::fchmod(fd, 0644);
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    throw Error(path, std::string("cannot write: ") + std::strerror(err));
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    throw Error(path, std::string("cannot write: ") + std::strerror(err));
  }
}

}  // namespace smartcrop

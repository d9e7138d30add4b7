#include "smartcrop/image_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "codecs.hpp"
#include "io/atomic_file.hpp"
#include "smartcrop/error.hpp"

namespace fs = std::filesystem;

namespace smartcrop {

namespace {

constexpr char kOutputExists[] = "output exists (use --overwrite or --skip-existing)";

// Opens `path` for reading only if it is a regular file. A FIFO, socket or device
// would block open() or read() for ever (a FIFO with no writer), so it is refused
// from its stat() before any open, and the open is non-blocking so that a file
// swapped for a FIFO in between cannot block either; fstat() then checks again.
int open_regular_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) throw Error(path, "no such file");
    throw Error(path, std::string("cannot open: ") + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) throw Error(path, "is a folder, not an image");
  if (!S_ISREG(st.st_mode)) throw Error(path, "not a regular file");
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw Error(path, std::string("cannot open: ") + std::strerror(errno));
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(path, "not a regular file");
  }
  return fd;
}

// Reads up to `limit` bytes of the regular file `path` (all of it for SIZE_MAX).
std::vector<std::uint8_t> read_regular_file(const std::string& path, std::size_t limit) {
  const int fd = open_regular_file(path);
  struct stat st {};
  ::fstat(fd, &st);
  std::vector<std::uint8_t> bytes;
  bytes.reserve(std::min<std::size_t>(limit, static_cast<std::size_t>(std::max<off_t>(st.st_size, 0))));
  std::uint8_t chunk[1 << 16];
  while (bytes.size() < limit) {
    const ssize_t n = ::read(fd, chunk, std::min(sizeof chunk, limit - bytes.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw Error(path, std::string("read error: ") + std::strerror(err));
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), chunk, chunk + n);
  }
  ::close(fd);
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

void check_pixel_count(const std::string& path, std::int64_t width, std::int64_t height, const LoadOptions& options) {
  const std::int64_t pixels = width * height;
  if (options.max_pixels > 0 && pixels > options.max_pixels) {
    throw Error(path, "image is " + std::to_string(width) + "x" + std::to_string(height) + " = " +
                          std::to_string(pixels) + " pixels, more than --max-pixels " +
                          std::to_string(options.max_pixels));
  }
}

}  // namespace

DecodedImage decode_image(const std::string& path, const std::vector<std::uint8_t>& bytes,
                          const LoadOptions& options) {
  if (bytes.empty()) throw Error(path, "empty file");
  // The guard acts on the header so that a bomb is refused before the decoder allocates.
  const ImageHeader header = read_image_header(bytes);
  check_pixel_count(path, header.width, header.height, options);
  if (header.malformed) throw Error(path, "cannot decode image (corrupt " + header.format + " structure)");
  if (!header.complete) throw Error(path, "truncated " + header.format + " file (ends before the end of the image)");
  cv::Mat decoded;
  try {
    decoded = decode_pixels(bytes, header.format);
  } catch (const cv::Exception& e) {
    throw Error(path, std::string("cannot decode image: ") + e.err);
  } catch (const Error& e) {
    throw Error(path, "cannot decode image: " + std::string(e.what()));
  }
  if (decoded.empty()) {
    throw Error(path, header.format.empty() ? "cannot decode image (not a JPEG/PNG/WebP/TIFF/BMP)"
                                            : "cannot decode image (corrupt " + header.format + " data)");
  }
  check_pixel_count(path, decoded.cols, decoded.rows, options);
  DecodedImage image;
  image.orientation = read_exif_orientation(bytes);
  try {
    image.original = apply_orientation(decoded, image.orientation);
    image.pixels = to_bgr8(image.original);
  } catch (const std::exception& e) {
    throw Error(path, std::string("cannot convert image: ") + e.what());
  }
  if (options.read_regions) image.regions = read_file_regions(path, bytes, decoded.cols, decoded.rows, image.orientation);
  return image;
}

DecodedImage load_image(const std::string& path, const LoadOptions& options) {
  return decode_image(path, read_regular_file(path, SIZE_MAX), options);
}

std::vector<std::uint8_t> read_file_head(const std::string& path, std::size_t max_bytes) {
  return read_regular_file(path, max_bytes);
}

bool write_image_atomic(const std::string& path, const cv::Mat& image, const WriteOptions& options) {
  const std::string ext = lower_extension(path);
  if (!is_writable_format(path)) {
    throw Error(path, "unsupported output format '" + ext + "' (use .jpg, .png, .webp, .tif or .bmp)");
  }
  cv::Mat pixels = image;
  if (ext == ".jpg" || ext == ".jpeg" || ext == ".bmp") {
    if (image.depth() != CV_8U || image.channels() == 4 || image.channels() == 2) pixels = to_bgr8(image);
  } else if (ext == ".webp") {
    if (image.depth() != CV_8U || image.channels() == 2) pixels = to_bgr8(image);
  } else if (ext == ".png") {
    if ((image.depth() != CV_8U && image.depth() != CV_16U) || image.channels() == 2) pixels = to_bgr8(image);
  }
  std::error_code ec;
  if (!options.overwrite && fs::exists(path, ec)) {
    if (options.keep_existing) return false;
    throw Error(path, kOutputExists);
  }

  std::vector<std::uint8_t> encoded;
  try {
    if (!encode_pixels(ext, pixels, std::clamp(options.jpeg_quality, 1, 100), encoded)) {
      throw Error(path, "cannot encode image");
    }
  } catch (const cv::Exception& e) {
    throw Error(path, std::string("cannot encode image: ") + e.err);
  } catch (const Error& e) {
    if (e.path() == path) throw;
    throw Error(path, "cannot encode image: " + std::string(e.what()));
  }

  if (write_file_atomic(path, encoded.data(), encoded.size(), options.overwrite) == WriteOutcome::Written) return true;
  // Another writer linked this name after the check above.
  if (options.keep_existing) return false;
  throw Error(path, kOutputExists);
}

}  // namespace smartcrop

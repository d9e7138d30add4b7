#pragma once
// Decoding and encoding image files. JPEG, PNG and WebP go straight to
// libjpeg-turbo, libpng and libwebp; other formats (TIFF, BMP, ...) to OpenCV's
// imgcodecs in the plugin libsmartcrop_imgcodecs.so, opened on first use: linking
// imgcodecs brings GDAL, GDCM, OpenEXR and ~120 more shared libraries, which took
// most of a model-free run's start (docs/PERFORMANCE.md, "Start-up").

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace smartcrop {

constexpr const char* kImgcodecsPluginFile = "libsmartcrop_imgcodecs.so";
constexpr const char* kImgcodecsPluginEntry = "smartcrop_imgcodecs_plugin";
constexpr const char* kImgcodecsPluginInterface = "smartcrop imgcodecs plugin 1";

// What libsmartcrop_imgcodecs.so exports (src/io/imgcodecs_plugin.cpp).
class ImgcodecsPlugin {
 public:
  // cv::imdecode(bytes, IMREAD_UNCHANGED | IMREAD_IGNORE_ORIENTATION); empty if it cannot.
  virtual cv::Mat decode(const std::vector<std::uint8_t>& bytes) const = 0;
  // cv::imencode(ext, pixels, out, params); false if it cannot.
  virtual bool encode(const std::string& ext, const cv::Mat& pixels, const std::vector<int>& params,
                      std::vector<std::uint8_t>& out) const = 0;

 protected:
  ~ImgcodecsPlugin() = default;
};
using ImgcodecsPluginEntry = const ImgcodecsPlugin* (*)(const char* interface);

// Decodes `bytes` as cv::imdecode(IMREAD_UNCHANGED | IMREAD_IGNORE_ORIENTATION)
// does: gray stays one channel, alpha and 16-bit PNG are kept, CMYK JPEG becomes
// BGR. `format` is read_image_header's. Returns an empty Mat if the data cannot be
// decoded; throws smartcrop::Error naming the plugin if a format needs it and it
// cannot be loaded.
cv::Mat decode_pixels(const std::vector<std::uint8_t>& bytes, const std::string& format);

// Encodes 8-bit (PNG: also 16-bit) `pixels` with 1, 3 or 4 channels for the file
// extension `ext` (".jpg", ".png", ".webp", others through the plugin); JPEG and
// WebP at `quality` (1..100), PNG at zlib level 3. Returns false if it cannot.
bool encode_pixels(const std::string& ext, const cv::Mat& pixels, int quality, std::vector<std::uint8_t>& out);

}  // namespace smartcrop

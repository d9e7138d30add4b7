// Which output formats smartcrop encodes, by file extension. Apart from image_io.cpp
// so that output naming (and its fuzz target) needs no OpenCV.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iterator>
#include <string>

#include "smartcrop/image_io.hpp"

namespace smartcrop {

bool is_writable_format(const std::string& path) {
  static const char* const kExtensions[] = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp"};
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::any_of(std::begin(kExtensions), std::end(kExtensions), [&](const char* e) { return ext == e; });
}

}  // namespace smartcrop

// Just enough EXIF to find the orientation tag in a JPEG's APP1 segment.
#include <algorithm>
#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

#include "smartcrop/image_io.hpp"

namespace smartcrop {

namespace {

std::uint16_t read16(const std::uint8_t* p, bool little) {
  return little ? static_cast<std::uint16_t>(p[0] | (p[1] << 8)) : static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t read32(const std::uint8_t* p, bool little) {
  return little ? (p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24))
                : ((static_cast<std::uint32_t>(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3]);
}

// Reads the orientation from a TIFF header at tiff[0..size), or returns 1.
int orientation_from_tiff(const std::uint8_t* tiff, std::size_t size) {
  if (size < 8) return 1;
  bool little;
  if (tiff[0] == 'I' && tiff[1] == 'I') little = true;
  else if (tiff[0] == 'M' && tiff[1] == 'M') little = false;
  else return 1;
  std::uint32_t ifd = read32(tiff + 4, little);
  if (ifd + 2 > size) return 1;
  std::uint16_t entries = read16(tiff + ifd, little);
  for (std::uint16_t i = 0; i < entries; ++i) {
    std::size_t entry = ifd + 2 + static_cast<std::size_t>(i) * 12;
    if (entry + 12 > size) return 1;
    if (read16(tiff + entry, little) == 0x0112) {
      int value = read16(tiff + entry + 8, little);
      return (value >= 1 && value <= 8) ? value : 1;
    }
  }
  return 1;
}

}  // namespace

int read_exif_orientation(const std::vector<std::uint8_t>& bytes) {
  const std::size_t n = bytes.size();
  if (n < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8) return 1;
  std::size_t pos = 2;
  while (pos + 4 <= n) {
    if (bytes[pos] != 0xFF) return 1;
    std::uint8_t marker = bytes[pos + 1];
    if (marker == 0xFF) { ++pos; continue; }
    if (marker == 0xDA || marker == 0xD9) return 1;  // image data starts: no EXIF before it
    std::size_t length = (static_cast<std::size_t>(bytes[pos + 2]) << 8) | bytes[pos + 3];
    if (length < 2 || pos + 2 + length > n) return 1;
    const std::uint8_t* segment = bytes.data() + pos + 4;
    if (marker == 0xE1 && length >= 8 && std::equal(segment, segment + 6, "Exif\0\0")) {
      return orientation_from_tiff(segment + 6, length - 8);
    }
    pos += 2 + length;
  }
  return 1;
}

cv::Mat apply_orientation(const cv::Mat& image, int orientation) {
  cv::Mat out;
  switch (orientation) {
    case 2: cv::flip(image, out, 1); break;
    case 3: cv::rotate(image, out, cv::ROTATE_180); break;
    case 4: cv::flip(image, out, 0); break;
    case 5: cv::transpose(image, out); break;
    case 6: cv::rotate(image, out, cv::ROTATE_90_CLOCKWISE); break;
    case 7: cv::transpose(image, out); cv::rotate(out, out, cv::ROTATE_180); break;
    case 8: cv::rotate(image, out, cv::ROTATE_90_COUNTERCLOCKWISE); break;
    default: out = image; break;
  }
  return out;
}

}  // namespace smartcrop

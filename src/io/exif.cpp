// Just enough EXIF to find the orientation tag in a JPEG's APP1 segment.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "smartcrop/image_io.hpp"
#include "tiff_ifd.hpp"

namespace smartcrop {

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
      const auto orientation = first_ifd_value(segment + 6, length - 8, 0x0112);
      return orientation && *orientation >= 1 && *orientation <= 8 ? static_cast<int>(*orientation) : 1;
    }
    pos += 2 + length;
  }
  return 1;
}

}  // namespace smartcrop

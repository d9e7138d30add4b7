// Fuzzes read_exif_orientation: JPEG bytes with any APP1 segment. The orientation
// picks one of eight transforms, so it must always be 1..8.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "smartcrop/image_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::uint8_t> bytes(data, data + size);
  const int orientation = smartcrop::read_exif_orientation(bytes);
  if (orientation < 1 || orientation > 8) std::abort();
  return 0;
}

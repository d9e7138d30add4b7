// Fuzzes read_image_header: any bytes, as from a photo that is corrupt, cut short or
// hostile. The size it reports feeds the decompression-bomb guard, so besides not
// crashing it must never be negative.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "smartcrop/image_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::uint8_t> bytes(data, data + size);
  const smartcrop::ImageHeader header = smartcrop::read_image_header(bytes);
  static const char* const kFormats[] = {"", "jpeg", "png", "webp", "bmp", "gif", "tiff"};
  bool known = false;
  for (const char* f : kFormats) known = known || header.format == f;
  if (!known || header.width < 0 || header.height < 0) std::abort();
  return 0;
}

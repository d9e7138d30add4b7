// Fuzzes the XMP packet text helpers that run before exiv2: finding a JPEG's XMP
// segment and cutting the region properties out of a packet. Neither may read out
// of bounds; a packet cut out always holds the region element it was cut from.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "../../src/io/xmp_packet.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::uint8_t> bytes(data, data + size);
  const std::string packet = smartcrop::jpeg_xmp_packet(bytes);
  if (packet.size() > size) std::abort();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  smartcrop::may_hold_regions(text);
  const std::string cut = smartcrop::region_packet(text);
  if (!cut.empty() && cut.find(":Regions") == std::string::npos && cut.find(":RegionInfo") == std::string::npos) {
    std::abort();
  }
  return 0;
}

#pragma once
// XMP packets as text, before exiv2 parses them: finding a JPEG's packet, telling
// whether a packet can hold regions, cutting the region properties out of it.
// Private to src/io.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace smartcrop {

// Returns the XMP packet of the JPEG `bytes` (its APP1 segment named by the XMP
// namespace, before the image data), or "".
std::string jpeg_xmp_packet(const std::vector<std::uint8_t>& bytes);

// Returns true if `packet` names the MWG or MP region schemas (their namespaces or
// usual prefixes).
bool may_hold_regions(std::string_view packet);

// Returns a packet holding only the region properties of `packet` (MWG Regions, MP
// RegionInfo) with every namespace it declares, or "" when they cannot be cut out
// cleanly (parse the whole packet then).
std::string region_packet(std::string_view packet);

}  // namespace smartcrop

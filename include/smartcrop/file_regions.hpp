#pragma once
// The regions photo managers store in a photo's metadata (XMP, read with exiv2):
// MWG mwg-rs:Regions (Face, Pet, Focus, BarCode) and Microsoft MP:RegionInfo,
// embedded in the photo or in an XMP sidecar beside it.

#include <cstdint>
#include <string>
#include <vector>

#include "smartcrop/steering.hpp"

namespace smartcrop {

struct FileRegion {
  RegionKind kind = RegionKind::Face;
  RectF area;  // fractions (0..1) of the upright photo, clipped to it
  std::string name;
};

struct FileRegions {
  std::string schema;    // "mwg" or "mp"; "" when the file has none
  std::string location;  // "embedded" or the sidecar's path
  std::vector<FileRegion> regions;
  std::string warning;   // why the file's regions were ignored ("" if they were not)
  std::string note;      // a doubt about regions that were used anyway ("" if none)
  double seconds = 0.0;      // wall time spent reading metadata (sidecar look-up and lock wait included)
  double cpu_seconds = 0.0;  // CPU time of this thread for the same
};

// Most regions a file may hold: no photo manager writes more faces than this; a
// longer list is damaged or hostile and is ignored with a warning.
constexpr int kMaxFileRegions = 1000;

// Reads the regions of the photo at `path` whose bytes are `bytes` (stored size
// stored_width x stored_height, EXIF `orientation` applied for display). A sidecar
// (PATH.xmp, then PATH-without-extension.xmp) with regions takes precedence over
// the embedded XMP; MWG regions over MP ones. Regions are in the stored frame and
// mapped through the orientation (MWG 2.0, 5.9), whatever AppliedToDimensions says. Never throws: bad metadata gives no regions and a
// `warning`. Safe to call from several threads (exiv2's XMP toolkit is serialised).
FileRegions read_file_regions(const std::string& path, const std::vector<std::uint8_t>& bytes, int stored_width,
                              int stored_height, int orientation);

}  // namespace smartcrop

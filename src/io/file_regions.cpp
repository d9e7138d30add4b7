// Face, pet, focus and barcode regions from XMP metadata, read with exiv2.
#include "smartcrop/file_regions.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>

// exiv2 0.27's headers use std::auto_ptr, deprecated in C++17.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <exiv2/exiv2.hpp>
#pragma GCC diagnostic pop

#include <spdlog/spdlog.h>

#include "smartcrop/cpu_time.hpp"
#include "xmp_packet.hpp"

namespace smartcrop {

namespace {

// A Lightroom or digiKam sidecar is a few to a few hundred kB; exiv2 took 0.4 s
// to parse a 2 MB one of 10,000 regions, so larger ones are refused unread.
constexpr std::uintmax_t kMaxSidecarBytes = 1 << 20;

// The XMP toolkit is not thread-safe, and exiv2's log handler is global: every
// exiv2 call runs under this lock (under 1 ms a photo, docs/BATCH.md); file reads
// and the JPEG walk do not.
std::mutex g_exiv2_mutex;
std::string* g_exiv2_messages = nullptr;  // collects exiv2's warnings during one read

void log_exiv2(int level, const char* message) {
  if (g_exiv2_messages != nullptr && level >= Exiv2::LogMsg::warn) *g_exiv2_messages += message;
  spdlog::trace("exiv2: {}", message);
}

void initialise_exiv2_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    Exiv2::LogMsg::setHandler(log_exiv2);
    Exiv2::LogMsg::setLevel(Exiv2::LogMsg::warn);
    Exiv2::XmpParser::initialize();
  });
}

struct RawRegion {
  std::map<std::string, std::string> fields;  // "Type", "Name", "x", "y", "w", "h", "unit", "Rectangle", ...
};

// The index and field of a key below `prefix` ("...RegionList[3]/mwg-rs:Area/stArea:x" -> 3, "x").
bool split_list_key(const std::string& key, const std::string& prefix, int* index, std::string* field) {
  if (key.compare(0, prefix.size(), prefix) != 0) return false;
  const char* first = key.data() + prefix.size();
  const char* last = key.data() + key.size();
  const auto [end, ec] = std::from_chars(first, last, *index);
  if (ec != std::errc() || end == last || *end != ']') return false;
  const std::size_t colon = key.rfind(':');
  if (colon == std::string::npos || colon < static_cast<std::size_t>(end - key.data())) return false;
  *field = key.substr(colon + 1);
  return true;
}

std::optional<double> number(const std::string& text) {
  std::string_view s(text);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  double value = 0.0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<RegionKind> mwg_kind(std::string type) {
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  if (type == "face") return RegionKind::Face;
  if (type == "pet") return RegionKind::Pet;
  if (type == "focus") return RegionKind::Focus;
  if (type == "barcode") return RegionKind::BarCode;
  return std::nullopt;
}

// Reasons a region is refused; they make the whole set ignored, since a file
// that gets one region wrong cannot be trusted on the others.
struct BadRegion {
  std::string reason;
};

// Checks a region in fractions of the stored photo and clips it to the photo.
RectF checked_area(RectF r, RegionKind kind, const std::string& label) {
  const bool point = kind == RegionKind::Focus && r.width == 0.0 && r.height == 0.0;
  if (!point && !(r.width > 0.0 && r.height > 0.0)) throw BadRegion{label + " has zero size"};
  if (r.x >= 1.0 || r.y >= 1.0 || r.x + r.width <= 0.0 || r.y + r.height <= 0.0 ||
      (point && (r.x < 0.0 || r.y < 0.0))) {
    throw BadRegion{label + " lies outside the image"};
  }
  const double x1 = std::min(1.0, r.x + r.width), y1 = std::min(1.0, r.y + r.height);
  r.x = std::max(0.0, r.x);
  r.y = std::max(0.0, r.y);
  r.width = x1 - r.x;
  r.height = y1 - r.y;
  return r;
}

double field(const RawRegion& raw, const char* name, const std::string& label, bool required) {
  const auto it = raw.fields.find(name);
  if (it == raw.fields.end()) {
    if (required) throw BadRegion{label + " has no stArea:" + name};
    return 0.0;
  }
  const auto value = number(it->second);
  if (!value) throw BadRegion{label + " stArea:" + name + " '" + it->second.substr(0, 20) + "' is not a number"};
  return *value;
}

// The size AppliedToDimensions gives (pixels), or 0 x 0 when the file gives none.
struct AppliedSize {
  double width = 0.0, height = 0.0;
  bool known() const { return width > 0.0 && height > 0.0; }
};

// MWG regions: stArea x, y is the centre; w, h the size; fractions of the stored
// image, or pixels of AppliedToDimensions when stArea:unit is "pixel".
std::vector<FileRegion> mwg_regions(const std::map<int, RawRegion>& list, AppliedSize applied) {
  std::vector<FileRegion> regions;
  for (const auto& [index, raw] : list) {
    const auto type = raw.fields.find("Type");
    const auto kind = type == raw.fields.end() ? std::nullopt : mwg_kind(type->second);
    if (!kind) continue;  // other types (or none) are not ours to act on
    const std::string label = "region " + std::to_string(index) + " (" + region_kind_name(*kind) + ")";
    double scale_x = 1.0, scale_y = 1.0;
    if (const auto unit = raw.fields.find("unit"); unit != raw.fields.end() && unit->second != "normalized") {
      if (unit->second != "pixel") {
        throw BadRegion{label + " has unit '" + unit->second.substr(0, 20) + "', not 'normalized' or 'pixel'"};
      }
      if (!applied.known()) throw BadRegion{label + " is in pixels but the file has no AppliedToDimensions"};
      scale_x = 1.0 / applied.width;
      scale_y = 1.0 / applied.height;
    }
    const double w = field(raw, "w", label, *kind != RegionKind::Focus) * scale_x;
    const double h = field(raw, "h", label, *kind != RegionKind::Focus) * scale_y;
    const double x = field(raw, "x", label, true) * scale_x, y = field(raw, "y", label, true) * scale_y;
    FileRegion region;
    region.kind = *kind;
    region.area = checked_area({x - w / 2.0, y - h / 2.0, w, h}, *kind, label);
    if (const auto name = raw.fields.find("Name"); name != raw.fields.end()) region.name = name->second;
    regions.push_back(std::move(region));
  }
  return regions;
}

// MP regions: Rectangle "x, y, w, h", top-left and size, fractions; people only.
// Microsoft's People Tagging Overview defines the rectangle against "the image" and
// says nothing of EXIF orientation: "The dimensions of the image for the purposes of
// defining people rectangles are normalized to 1, which means that in the "0.25,
// 0.25, 0.25, 0.25" example, the rectangle starts 1/4 of the distance from the top and
// 1/4 of the distance from the left of the image." The image a WIC writer holds is the
// stored one (Windows rotates a photo by rewriting its pixels), and exiftool's
// rotate_regions.config turns MP rectangles with the pixels as it does MWG areas; so
// they are read, like MWG's, in the stored frame and turned with the orientation.
std::vector<FileRegion> mp_regions(const std::map<int, RawRegion>& list) {
  std::vector<FileRegion> regions;
  for (const auto& [index, raw] : list) {
    const auto rect = raw.fields.find("Rectangle");
    if (rect == raw.fields.end()) continue;
    const std::string label = "region " + std::to_string(index) + " (face)";
    std::vector<double> v;
    std::size_t pos = 0;
    const std::string& text = rect->second;
    while (pos <= text.size() && v.size() < 5) {
      const std::size_t comma = std::min(text.find(',', pos), text.size());
      const auto value = number(text.substr(pos, comma - pos));
      if (!value) break;
      v.push_back(*value);
      pos = comma + 1;
    }
    if (v.size() != 4) throw BadRegion{label + " Rectangle '" + text.substr(0, 40) + "' is not 'x, y, w, h'"};
    FileRegion region;
    region.area = checked_area({v[0], v[1], v[2], v[3]}, RegionKind::Face, label);
    if (const auto name = raw.fields.find("PersonDisplayName"); name != raw.fields.end()) region.name = name->second;
    regions.push_back(std::move(region));
  }
  return regions;
}

// A doubt about AppliedToDimensions, or "": the regions are read in the stored frame
// whatever it says (MWG 2.0, 5.9: "Region metadata is applied to the stored image";
// exiftool's rotate_regions.config turns the areas with the pixels and leaves the
// dimensions as they were, so the upright shape on a rotated photo is no sign of
// upright regions). Only a shape that fits neither way round is worth a word.
std::string applied_size_doubt(AppliedSize applied, int stored_w, int stored_h) {
  if (!applied.known() || stored_w <= 0 || stored_h <= 0) return "";
  const double shape = applied.width / applied.height, stored = static_cast<double>(stored_w) / stored_h;
  const auto close = [](double a, double b) { return std::abs(a / b - 1.0) < 0.02; };
  if (close(shape, stored) || close(shape, 1.0 / stored)) return "";
  char text[200];
  std::snprintf(text, sizeof text,
                "its regions were written for a %.0fx%.0f image, not this %dx%d one (an edited copy?); "
                "used as fractions of this one",
                applied.width, applied.height, stored_w, stored_h);
  return text;
}

// Reads the regions from one exiv2 image (the photo or a sidecar). Fills `out`
// and returns true if it holds regions of ours or a reason to ignore them.
bool regions_from(const Exiv2::XmpData& xmp, int stored_w, int stored_h, int orientation, FileRegions& out) {
  static const std::string kMwg = "Xmp.mwg-rs.Regions/mwg-rs:RegionList[";
  static const std::string kMp = "Xmp.MP.RegionInfo/MPRI:Regions[";
  std::map<int, RawRegion> mwg, mp;
  AppliedSize applied;
  int index = 0;
  std::string name;
  for (const auto& datum : xmp) {
    const std::string key = datum.key();
    if (key.rfind("Xmp.mwg-rs.Regions", 0) != 0 && key.rfind("Xmp.MP.RegionInfo", 0) != 0) continue;
    std::map<int, RawRegion>* list = split_list_key(key, kMwg, &index, &name) ? &mwg
                                     : split_list_key(key, kMp, &index, &name) ? &mp
                                                                               : nullptr;
    if (list != nullptr) {
      if (index > kMaxFileRegions || list->size() > static_cast<std::size_t>(kMaxFileRegions)) {
        out.warning = "more than " + std::to_string(kMaxFileRegions) + " regions";
        return true;
      }
      (*list)[index].fields[name] = datum.toString();
    } else if (key == "Xmp.mwg-rs.Regions/mwg-rs:AppliedToDimensions/stDim:w") {
      applied.width = number(datum.toString()).value_or(0.0);
    } else if (key == "Xmp.mwg-rs.Regions/mwg-rs:AppliedToDimensions/stDim:h") {
      applied.height = number(datum.toString()).value_or(0.0);
    }
  }
  try {
    out.regions = mwg_regions(mwg, applied);
    out.schema = "mwg";
    if (out.regions.empty()) {
      out.regions = mp_regions(mp);
      out.schema = "mp";
    }
  } catch (const BadRegion& bad) {
    out.regions.clear();
    out.warning = bad.reason;
    return true;
  }
  if (out.regions.empty()) {
    out.schema.clear();
    return false;
  }
  if (out.schema == "mwg") out.note = applied_size_doubt(applied, stored_w, stored_h);
  for (auto& region : out.regions) region.area = upright_normalised(region.area, orientation);
  return true;
}

// Reads the metadata of a PNG, WebP or TIFF with exiv2's own container readers.
bool read_image(const std::vector<std::uint8_t>& bytes, int stored_w, int stored_h, int orientation,
                FileRegions& out) {
  std::lock_guard<std::mutex> lock(g_exiv2_mutex);
  std::string messages;
  g_exiv2_messages = &messages;
  bool found = true;
  try {
    auto image = Exiv2::ImageFactory::open(bytes.data(), static_cast<long>(bytes.size()));
    image->readMetadata();
    if (messages.find("XMP") != std::string::npos) {
      out.warning = "malformed XMP (exiv2: " + messages.substr(0, messages.find('\n')) + ")";
    } else {
      found = regions_from(image->xmpData(), stored_w, stored_h, orientation, out);
    }
  } catch (const Exiv2::AnyError& e) {
    out.warning = std::string("cannot read the metadata (exiv2: ") + e.what() + ")";
  }
  g_exiv2_messages = nullptr;
  return found;
}

// Parses one XMP packet (a sidecar's text, a JPEG's XMP segment) with exiv2. A
// sidecar exists only to hold metadata: it is parsed (and a broken one reported)
// even without a sign of regions.
bool read_packet(const std::string& packet, bool sidecar, int stored_w, int stored_h, int orientation,
                 FileRegions& out) {
  if (!sidecar && !may_hold_regions(packet)) return false;
  const std::string regions_only = region_packet(packet);
  std::lock_guard<std::mutex> lock(g_exiv2_mutex);
  Exiv2::XmpData xmp;
  std::string messages;
  g_exiv2_messages = &messages;
  const int status = Exiv2::XmpParser::decode(xmp, regions_only.empty() ? packet : regions_only);
  g_exiv2_messages = nullptr;
  if (status != 0) {
    out.warning = "malformed XMP" + (messages.empty() ? "" : " (exiv2: " + messages.substr(0, messages.find('\n')) + ")");
    return true;
  }
  return regions_from(xmp, stored_w, stored_h, orientation, out);
}


bool has_exiv2_metadata_format(const std::vector<std::uint8_t>& b) {
  const auto starts = [&](const char* magic, std::size_t n) {
    return b.size() >= n && std::memcmp(b.data(), magic, n) == 0;
  };
  return starts("\x89PNG", 4) || starts("II*\0", 4) || starts("MM\0*", 4) ||
         (starts("RIFF", 4) && b.size() >= 12 && std::memcmp(b.data() + 8, "WEBP", 4) == 0);
}

std::vector<std::string> sidecar_candidates(const std::string& path) {
  namespace fs = std::filesystem;
  fs::path p(path);
  std::vector<std::string> names{path + ".xmp"};
  if (p.has_extension()) names.push_back(fs::path(p).replace_extension(".xmp").string());
  return names;
}

}  // namespace

FileRegions read_file_regions(const std::string& path, const std::vector<std::uint8_t>& bytes, int stored_width,
                              int stored_height, int orientation) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = thread_cpu_seconds();
  FileRegions out;
  initialise_exiv2_once();
  bool found = false;
  for (const std::string& sidecar : sidecar_candidates(path)) {
    struct stat info {};
    if (::stat(sidecar.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
    out.location = sidecar;
    if (static_cast<std::uintmax_t>(info.st_size) > kMaxSidecarBytes) {
      out.warning = "sidecar " + sidecar + " is larger than 1 MB";
      found = true;
      break;
    }
    std::ifstream in(sidecar, std::ios::binary);
    const std::string packet((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in && !in.eof()) {
      out.warning = "cannot read sidecar " + sidecar;
      found = true;
    } else {
      found = read_packet(packet, true, stored_width, stored_height, orientation, out);
    }
    if (found) break;
  }
  const bool jpeg = bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
  if (!found && (jpeg || has_exiv2_metadata_format(bytes))) {
    out = FileRegions();
    out.location = "embedded";
    try {
      if (jpeg) {
        found = read_packet(jpeg_xmp_packet(bytes), false, stored_width, stored_height, orientation, out);
      } else {
        found = read_image(bytes, stored_width, stored_height, orientation, out);
      }
    } catch (const Exiv2::AnyError& e) {
      out.warning = std::string("cannot read the metadata (exiv2: ") + e.what() + ")";
      found = true;
    }
  }
  if (!found) out = FileRegions();
  if (!out.warning.empty()) out.regions.clear();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.cpu_seconds = thread_cpu_seconds() - cpu_start;
  return out;
}

}  // namespace smartcrop

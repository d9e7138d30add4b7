#pragma once
// Steering the crop: a focus point, keep-regions, and the regions a photo manager
// stored in the file, turned into a constraint on the window search (the range of
// top-left positions it may choose from). Plain C++ (no OpenCV, no Torch).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smartcrop/window.hpp"

namespace smartcrop {

struct PointF {
  double x = 0.0;
  double y = 0.0;
};

// A rectangle in continuous coordinates: pixels, or fractions of the image's sides.
struct RectF {
  double x = 0.0;  // left
  double y = 0.0;  // top
  double width = 0.0;
  double height = 0.0;
  double area() const { return width * height; }
};

// --focus / --keep as written: fractions of the displayed photo, or pixels ("px").
struct FocusSpec {
  PointF point;
  bool pixels = false;
};
struct KeepSpec {
  RectF area;
  bool pixels = false;
};

// What a person asked for one photo (flags or a hints row).
struct SteeringSpec {
  std::optional<FocusSpec> focus;
  std::optional<KeepSpec> keep;
  bool empty() const { return !focus && !keep; }
};

// Parses "0.7,0.3" (fractions, 0..1) or "1200,400px" (pixels). Throws
// std::invalid_argument naming the text and what is wrong.
FocusSpec parse_focus(std::string_view text);

// Parses "X,Y,W,H" as fractions ("0.1,0.2,0.5,0.6", inside 0..1) or pixels
// ("100,80,400,300px"); W and H must be positive. Throws std::invalid_argument.
KeepSpec parse_keep(std::string_view text);

// Writes a spec back as the user would ("0.7,0.3", "100,80,400,300px").
std::string format_focus(const FocusSpec& focus);
std::string format_keep(const KeepSpec& keep);

// Returns `rect`, given in normalised coordinates (0..1) of the image as stored,
// in normalised coordinates of the image turned upright for EXIF orientation 1..8
// (MWG 2.0, 5.9: regions apply to the stored pixels, a viewer rotates them too).
RectF upright_normalised(const RectF& rect, int orientation);

enum class RegionKind { Keep, Face, Pet, BarCode, Focus };

// Returns "keep", "face", "pet", "barcode", "focus".
const char* region_kind_name(RegionKind kind);

struct SteerRegion {
  RegionKind kind = RegionKind::Keep;
  RectF area;        // displayed-photo pixels; a Focus region may be a point (zero size)
  std::string name;  // a person's name from the file, if any
};

// Everything that steers one photo's crops, in displayed-photo pixels.
struct Steering {
  std::string steered_by = "auto";   // "flags", "hints", "xmp_faces", "xmp_focus", "mp_faces", "auto"
  std::vector<SteerRegion> regions;  // keep-regions (every kind but Focus) and Focus regions
  std::optional<PointF> focus;       // the crop is centred on it as closely as the edges allow
  bool active() const { return focus.has_value() || !regions.empty(); }
};

// One window size's answer to the steering.
struct SteeredWindow {
  PositionRange allowed;
  std::vector<int> kept;     // indices into Steering::regions of the keep-regions that lie inside
  bool all_fit = true;       // every keep-region lies inside
  double kept_share = 1.0;   // share of the kept group's area inside (below 1: even one region was too big)
};

// Returns the positions a size x image_width x image_height window may take: those
// containing the keep-regions (all of them when they fit together, else the
// largest first as long as the group fits; a single region too big for the window
// is centred on, keeping as much of it as the window can), and among those the one
// nearest the focus point when there is one.
SteeredWindow steer_window(const Steering& steering, WindowSize size, int image_width, int image_height);

// Returns the indices of the keep-regions (not Focus) that lie wholly inside `box`.
std::vector<int> keep_regions_inside(const Steering& steering, const Box& box);

// Returns how many of steering.regions are keep-regions (not Focus).
int keep_region_count(const Steering& steering);

}  // namespace smartcrop

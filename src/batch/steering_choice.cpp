#include "steering_choice.hpp"

#include <cmath>
#include <cstdio>

#include "smartcrop/comparison.hpp"
#include "smartcrop/error.hpp"

namespace smartcrop {

namespace {

std::string size_text(int w, int h) { return std::to_string(w) + "x" + std::to_string(h); }

// A person's --focus/--keep or hints row, in displayed pixels; pixel forms must
// lie inside the photo (fractions were checked when parsed).
Steering from_spec(const SteeringSpec& spec, const std::string& where, const std::string& path, int w, int h) {
  Steering steering;
  if (spec.focus) {
    const FocusSpec& f = *spec.focus;
    const PointF p = f.pixels ? f.point : PointF{f.point.x * w, f.point.y * h};
    if (p.x > w || p.y > h) {
      throw Error(path, where + ": focus " + format_focus(f) + " lies outside the " + size_text(w, h) + " photo");
    }
    steering.focus = p;
  }
  if (spec.keep) {
    const KeepSpec& k = *spec.keep;
    const RectF r = k.pixels ? k.area : RectF{k.area.x * w, k.area.y * h, k.area.width * w, k.area.height * h};
    if (r.x + r.width > w + 1e-6 || r.y + r.height > h + 1e-6) {
      throw Error(path, where + ": keep " + format_keep(k) + " reaches outside the " + size_text(w, h) + " photo");
    }
    steering.regions.push_back({RegionKind::Keep, r, ""});
  }
  return steering;
}

Steering from_file(const FileRegions& file, int w, int h) {
  Steering steering;
  bool people = false, focus_only = true;
  const SteerRegion* largest_focus = nullptr;
  for (const FileRegion& region : file.regions) {
    const RectF r{region.area.x * w, region.area.y * h, region.area.width * w, region.area.height * h};
    steering.regions.push_back({region.kind, r, region.name});
    people = people || region.kind == RegionKind::Face || region.kind == RegionKind::Pet;
    focus_only = focus_only && region.kind == RegionKind::Focus;
  }
  for (const SteerRegion& region : steering.regions) {
    if (region.kind == RegionKind::Focus && (largest_focus == nullptr || region.area.area() > largest_focus->area.area())) {
      largest_focus = &region;
    }
  }
  if (largest_focus != nullptr) {
    steering.focus = PointF{largest_focus->area.x + largest_focus->area.width / 2.0,
                            largest_focus->area.y + largest_focus->area.height / 2.0};
  }
  if (file.schema == "mp") steering.steered_by = "mp_faces";
  else steering.steered_by = focus_only ? "xmp_focus" : people ? "xmp_faces" : "xmp_barcodes";
  return steering;
}

}  // namespace

Steering choose_steering(const PhotoPlan& plan, const SteerParams& params, const DecodedImage& image) {
  const int w = image.width(), h = image.height();
  const std::string& path = plan.input.path;
  if (plan.hint && !plan.hint->spec.empty()) {
    Steering steering = from_spec(plan.hint->spec, plan.hint->where, path, w, h);
    steering.steered_by = "hints";
    return steering;
  }
  if (!params.flags.empty()) {
    Steering steering = from_spec(params.flags, params.flags.keep ? "--keep" : "--focus", path, w, h);
    steering.steered_by = "flags";
    return steering;
  }
  if (!image.regions.regions.empty()) return from_file(image.regions, w, h);
  return Steering();
}

std::string steering_note(const Steering& steering, const CropChoice& crop) {
  const int keep_count = keep_region_count(steering);
  if (crop.steer.all_fit || keep_count == 0) return "";
  const std::string ratio = ratio_display(crop.ratio);
  const bool people = steering.steered_by != "flags" && steering.steered_by != "hints";
  const std::string what = people ? "region" : "keep region";
  if (crop.steer.kept_share < 1.0) {
    char text[160];
    std::snprintf(text, sizeof text, "%s%s does not fit %s; kept %.0f%% of it", keep_count > 1 ? "the largest " : "",
                  what.c_str(), ratio.c_str(), std::floor(100.0 * crop.steer.kept_share));
    return text;
  }
  return std::to_string(crop.steer.kept.size()) + " of " + std::to_string(keep_count) + " regions fit " + ratio +
         "; kept the largest that fit together";
}

std::vector<std::string> steering_warnings(const PhotoWork& work) {
  std::vector<std::string> warnings;
  const FileRegions& file = work.image.regions;
  if (!file.warning.empty() && work.crops.steering.steered_by == "auto") {
    warnings.push_back("ignoring the regions in " + (file.location == "embedded" ? "its metadata" : file.location) +
                       ": " + file.warning + "; automatic crop");
  }
  if (!file.note.empty() && !file.regions.empty() && work.crops.steering.steered_by.rfind("xmp", 0) == 0) {
    warnings.push_back(file.note);
  }
  for (const CropChoice& crop : work.crops.crops) {
    std::string note = steering_note(work.crops.steering, crop);
    if (!note.empty()) warnings.push_back(std::move(note));
  }
  return warnings;
}

}  // namespace smartcrop

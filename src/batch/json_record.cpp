#include "json_record.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "steering_choice.hpp"

namespace smartcrop {

namespace {

double tenth(double v) { return std::round(v * 10.0) / 10.0; }

// What steered the crops: the source, the focus point and the regions, displayed pixels.
void add_steering(nlohmann::json& record, const PhotoWork& work) {
  const Steering& steering = work.crops.steering;
  record["steered_by"] = steering.steered_by;
  if (steering.focus) record["focus"] = {tenth(steering.focus->x), tenth(steering.focus->y)};
  if (!steering.regions.empty()) {
    nlohmann::json regions = nlohmann::json::array();
    for (const SteerRegion& r : steering.regions) {
      nlohmann::json entry{{"type", region_kind_name(r.kind)},
                           {"box", {tenth(r.area.x), tenth(r.area.y), tenth(r.area.width), tenth(r.area.height)}}};
      if (!r.name.empty()) entry["name"] = r.name;
      regions.push_back(std::move(entry));
    }
    record["regions"] = regions;
  }
  const bool from_file = steering.steered_by != "auto" && steering.steered_by != "flags" && steering.steered_by != "hints";
  if (from_file && !work.image.regions.location.empty()) {
    record["regions_from"] = work.image.regions.location;
  }
  if (!work.warnings.empty()) record["warnings"] = work.warnings;
}

// File names need not be UTF-8: replace bad bytes instead of throwing.
std::string dump(const nlohmann::json& record) {
  return record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string photo_record_json(const PhotoWork& work, const SaliencyBackend& backend) {
  const PhotoPlan& plan = *work.plan;
  nlohmann::json record{{"input", plan.input.path}};
  if (!work.error.empty()) {
    record["status"] = "failed";
    record["error"] = work.error;
    return dump(record);
  }
  if (plan.skip_all) {
    record["status"] = "skipped";
    nlohmann::json crops = nlohmann::json::array();
    for (const auto& out : plan.outputs) crops.push_back({{"output", out}, {"status", "skipped"}});
    record["crops"] = crops;
    return dump(record);
  }
  record["status"] = "ok";
  for (const auto& outcome : work.outcomes) {
    if (outcome.status == "failed") record["status"] = "failed";
  }
  record["width"] = work.image.width();
  record["height"] = work.image.height();
  record["orientation"] = work.image.orientation;
  add_steering(record, work);
  record["backend"] = backend.name();
  record["model"] = backend.description();
  nlohmann::json crops = nlohmann::json::array();
  for (std::size_t r = 0; r < work.crops.crops.size(); ++r) {
    const CropChoice& crop = work.crops.crops[r];
    const std::string& out = plan.outputs[r];
    nlohmann::json entry{{"ratio", crop.ratio.label},
                         {"box", {crop.box.x, crop.box.y, crop.box.width, crop.box.height}},
                         {"confidence", crop.confidence},
                         {"output", out.empty() ? nlohmann::json(nullptr) : nlohmann::json(out)}};
    if (work.crops.steering.active()) {
      const int keep_count = keep_region_count(work.crops.steering);
      entry["steering"] = {{"regions_inside", crop.steer.kept},
                           {"all_fit", crop.steer.all_fit},
                           {"kept", keep_count > 0 ? crop.steer.kept_share : 1.0}};
      const std::string note = steering_note(work.crops.steering, crop);
      if (!note.empty()) entry["steering"]["note"] = note;
    }
    if (r < work.outcomes.size()) {
      entry["status"] = work.outcomes[r].status;
      if (!work.outcomes[r].error.empty()) entry["error"] = work.outcomes[r].error;
    }
    crops.push_back(std::move(entry));
  }
  record["crops"] = crops;
  record["seconds"] = {{"decode", work.decode_seconds},
                       {"saliency", work.saliency_seconds},
                       {"saliency_cpu", work.saliency_cpu_seconds >= 0.0 ? nlohmann::json(work.saliency_cpu_seconds)
                                                                           : nlohmann::json(nullptr)},
                       {"write", work.write_seconds},
                       {"metadata", work.image.regions.seconds},
                       {"metadata_cpu", work.image.regions.cpu_seconds}};
  return dump(record);
}

}  // namespace smartcrop

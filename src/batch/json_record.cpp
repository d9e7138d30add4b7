#include "json_record.hpp"

#include <nlohmann/json.hpp>

namespace smartcrop {

namespace {

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
    if (r < work.outcomes.size()) {
      entry["status"] = work.outcomes[r].status;
      if (!work.outcomes[r].error.empty()) entry["error"] = work.outcomes[r].error;
    }
    crops.push_back(std::move(entry));
  }
  record["crops"] = crops;
  record["seconds"] = {{"decode", work.decode_seconds},
                       {"saliency", work.saliency_seconds},
                       {"write", work.write_seconds}};
  return dump(record);
}

}  // namespace smartcrop

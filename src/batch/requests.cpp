// The evaluation harness's mode: one crop box per request line, nothing written.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "smartcrop/batch_runner.hpp"
#include "smartcrop/error.hpp"

namespace smartcrop {

namespace fs = std::filesystem;

void write_evidence_dump(const std::string& dir, const std::string& image_path, int image_width, int image_height,
                         const SaliencyResult& saliency) {
  const fs::path image(image_path);
  const std::string stem = image.parent_path().filename().string() + "_" + image.stem().string();
  const fs::path base = fs::path(dir) / stem;
  const WindowEvidence& ev = saliency.evidence;
  std::vector<const ScoreMap*> planes;
  nlohmann::json names = nlohmann::json::array();
  for (std::size_t i = 0; i < ev.cues.size(); ++i) {
    planes.push_back(&ev.cues[i]);
    names.push_back(ev.cue_names[i]);
  }
  if (!ev.edges.empty()) {
    planes.push_back(&ev.edges);
    names.push_back("edges");
  }
  const ScoreMap& combined = ev.saliency.empty() ? saliency.attention : ev.saliency;
  planes.push_back(&combined);
  names.push_back("saliency");
  const std::string f32 = base.string() + ".maps.f32";
  std::ofstream out(f32, std::ios::binary);
  for (const ScoreMap* plane : planes) {
    out.write(reinterpret_cast<const char*>(plane->values.data()),
              static_cast<std::streamsize>(plane->values.size() * sizeof(float)));
  }
  if (!out) throw Error(f32, "cannot write map dump");
  const nlohmann::json meta{{"image", image_path},          {"image_width", image_width},
                            {"image_height", image_height}, {"width", combined.width},
                            {"height", combined.height},    {"scale_x", combined.scale_x},
                            {"scale_y", combined.scale_y},  {"planes", names},
                            {"gate", ev.saliency.empty() ? 0.0 : ev.gate}};
  std::ofstream meta_out(base.string() + ".maps.json");
  meta_out << meta.dump() << "\n";
  if (!meta_out) throw Error(base.string() + ".maps.json", "cannot write map dump");
}

int run_request_list(const std::string& list_path, SaliencyBackend& backend, const CropParams& base,
                     const LoadOptions& load, const std::string& dump_maps_dir) {
  std::ifstream list(list_path);
  if (!list) throw Error(list_path, "cannot open request list");
  int failed = 0;
  std::string line;
  // Consecutive requests for one photo (the harness asks several ratios) reuse its maps.
  std::string last_path;
  SaliencyResult last_saliency;
  int last_width = 0, last_height = 0;
  while (std::getline(list, line)) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    std::string image_path;
    double aw = 0, ah = 0;
    std::getline(fields, image_path, '\t');
    fields >> aw >> ah;
    try {
      if (!(aw > 0 && ah > 0)) throw Error(image_path, "bad request line: " + line);
      CropParams params = base;
      AspectRatio ratio;
      ratio.width = aw;
      ratio.height = ah;
      params.ratios = {ratio};
      if (image_path != last_path) {
        last_path.clear();
        DecodedImage image = load_image(image_path, load);
        last_saliency = backend.compute(image.pixels, image_path);
        last_width = image.width();
        last_height = image.height();
        last_path = image_path;
        if (!dump_maps_dir.empty()) {
          write_evidence_dump(dump_maps_dir, image_path, last_width, last_height, last_saliency);
        }
      }
      CropPlan plan = plan_crops(last_saliency, last_width, last_height, params);
      const Box& b = plan.crops.front().box;
      std::printf("%d %d %d %d\n", b.x, b.y, b.width, b.height);
    } catch (const std::exception& e) {
      ++failed;
      std::printf("ERROR %s\n", e.what());
    }
    std::fflush(stdout);
  }
  return failed;
}

}  // namespace smartcrop

#include "smartcrop/batch_runner.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "smartcrop/dino_backend.hpp"
#include "smartcrop/error.hpp"

namespace fs = std::filesystem;

namespace smartcrop {

namespace {

void dump_heads(const std::string& folder, const std::string& input, const HeadAttention& heads) {
  fs::path target = fs::path(folder) / (fs::path(input).stem().string() + ".heads.f32");
  std::ofstream out(target, std::ios::binary);
  out.write(reinterpret_cast<const char*>(heads.values.data()),
            static_cast<std::streamsize>(heads.values.size() * sizeof(float)));
  if (!out) throw Error(target.string(), "cannot write attention dump");
}

nlohmann::json box_json(const Box& box) { return {box.x, box.y, box.width, box.height}; }

}  // namespace

std::string output_path_for(const RunParams& params, const std::string& input, const AspectRatio& ratio) {
  if (params.output.empty()) return "";
  if (!params.output_is_folder) return params.output;
  fs::path in(input);
  std::string ext = in.extension().string();
  if (ext.empty()) ext = ".jpg";
  return (fs::path(params.output) / (in.stem().string() + "_" + ratio.label + ext)).string();
}

RunSummary run_batch(const RunParams& params, SaliencyBackend& backend) {
  const auto start = std::chrono::steady_clock::now();
  RunSummary summary;
  summary.inputs = static_cast<int>(params.inputs.size());
  if (!params.output.empty() && params.output_is_folder) {
    std::error_code ec;
    fs::create_directories(params.output, ec);
    if (ec || !fs::is_directory(params.output)) throw Error(params.output, "cannot create output folder");
  }
  for (const auto& input : params.inputs) {
    nlohmann::json record{{"input", input}};
    try {
      const auto t0 = std::chrono::steady_clock::now();
      DecodedImage image = load_image(input, params.load);
      const auto t1 = std::chrono::steady_clock::now();
      CropPlan plan = plan_crops(backend.compute(image.pixels, input), image.width(), image.height(), params.crop);
      if (!params.dump_attention_dir.empty()) {
        if (auto* dino = dynamic_cast<DinoBackend*>(&backend)) dump_heads(params.dump_attention_dir, input, dino->last_heads());
      }
      record["width"] = image.width();
      record["height"] = image.height();
      record["orientation"] = image.orientation;
      record["backend"] = backend.name();
      record["crops"] = nlohmann::json::array();
      for (const auto& crop : plan.crops) {
        const std::string out = output_path_for(params, input, crop.ratio);
        if (!out.empty()) {
          if (fs::exists(out) && fs::equivalent(out, input)) throw Error(out, "refusing to overwrite the input");
          write_image_atomic(out, cut_crop(image.pixels, crop.box), params.write);
          ++summary.written;
          spdlog::debug("wrote {} ({}x{} at {},{})", out, crop.box.width, crop.box.height, crop.box.x, crop.box.y);
        }
        if (params.print_box) {
          std::printf("%d %d %d %d\n", crop.box.x, crop.box.y, crop.box.width, crop.box.height);
        }
        record["crops"].push_back({{"ratio", crop.ratio.label},
                                   {"box", box_json(crop.box)},
                                   {"confidence", crop.confidence},
                                   {"output", out.empty() ? nlohmann::json(nullptr) : nlohmann::json(out)}});
      }
      const auto t2 = std::chrono::steady_clock::now();
      record["seconds"] = {{"decode", std::chrono::duration<double>(t1 - t0).count()},
                           {"saliency", plan.saliency.seconds},
                           {"total", std::chrono::duration<double>(t2 - t0).count()}};
    } catch (const Error& e) {
      ++summary.failed;
      spdlog::error("{}", e.path().empty() ? input + ": " + e.reason() : std::string(e.what()));
      record["error"] = e.path().empty() ? e.reason() : std::string(e.what());
    } catch (const std::exception& e) {
      ++summary.failed;
      spdlog::error("{}: {}", input, e.what());
      record["error"] = e.what();
    }
    if (params.json) std::printf("%s\n", record.dump().c_str());
    std::fflush(stdout);
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

int run_request_list(const std::string& list_path, SaliencyBackend& backend, const CropParams& base,
                     const LoadOptions& load) {
  std::ifstream list(list_path);
  if (!list) throw Error(list_path, "cannot open request list");
  int failed = 0;
  std::string line;
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
      DecodedImage image = load_image(image_path, load);
      CropPlan plan = plan_crops(backend.compute(image.pixels, image_path), image.width(), image.height(), params);
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

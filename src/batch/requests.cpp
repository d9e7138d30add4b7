// The evaluation harness's mode: one crop box per request line, nothing written.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "smartcrop/batch_runner.hpp"
#include "smartcrop/error.hpp"

namespace smartcrop {

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

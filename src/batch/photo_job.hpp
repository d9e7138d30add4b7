#pragma once
// What the batch pipeline carries for one photo from decoding to writing.
// Private to src/batch.

#include <memory>
#include <string>
#include <vector>

#include "smartcrop/batch_inputs.hpp"
#include "smartcrop/crop_planner.hpp"
#include "smartcrop/image_io.hpp"

namespace smartcrop {

// A photo's row of --hints.
struct PhotoHint {
  SteeringSpec spec;
  std::string where;  // "hints.csv line 4", for messages
  std::string error;  // the row could not be used: the photo fails with this
};

// Decided before any work starts, for every photo of the run at once: kept small (a
// batch of 100,000 photos holds 100,000 of these; docs/PERFORMANCE.md, "Scale").
struct PhotoPlan {
  InputFile input;
  std::vector<std::string> outputs;  // per ratio; "" writes nothing
  std::vector<bool> keep_existing;   // per ratio: exists and --skip-existing
  bool skip_all = false;             // every output exists: nothing to decode
  std::unique_ptr<PhotoHint> hint;   // this photo's --hints row, if it has one
};

// What became of one crop.
struct CropOutcome {
  std::string status;  // "written", "skipped", "dry-run", "not-written", "failed"
  std::string error;   // for "failed"
};

struct PhotoWork {
  const PhotoPlan* plan = nullptr;
  std::size_t index = 0;  // position in the order the workers take photos (not input order)
  DecodedImage image;
  CropPlan crops;
  std::vector<CropOutcome> outcomes;  // filled by the writer
  std::string error;                  // "PATH: reason" when the photo failed before writing
  std::vector<std::string> warnings;  // steering that could not be honoured in full (logged, and in the JSON)
  double decode_seconds = 0.0;
  double saliency_seconds = 0.0;
  double saliency_cpu_seconds = -1.0;  // SaliencyResult::cpu_seconds
  double write_seconds = 0.0;
};

}  // namespace smartcrop

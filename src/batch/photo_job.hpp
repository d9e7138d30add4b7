#pragma once
// What the batch pipeline carries for one photo from decoding to writing.
// Private to src/batch.

#include <string>
#include <vector>

#include "smartcrop/batch_inputs.hpp"
#include "smartcrop/crop_planner.hpp"
#include "smartcrop/image_io.hpp"

namespace smartcrop {

// Decided before any work starts.
struct PhotoPlan {
  InputFile input;
  std::vector<std::string> outputs;  // per ratio; "" writes nothing
  std::vector<bool> keep_existing;   // per ratio: exists and --skip-existing
  bool skip_all = false;             // every output exists: nothing to decode
  SteeringSpec hint;                 // this photo's --hints row (empty: none)
  std::string hint_where;            // "hints.csv line 4", for messages
  std::string hint_error;            // the row could not be used: the photo fails with this
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

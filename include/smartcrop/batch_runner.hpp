#pragma once
// Runs the pipeline over many photos: decode -> saliency -> window -> write, one
// photo at a time, every failure reported and the rest still processed.

#include <functional>
#include <string>
#include <vector>

#include "smartcrop/backend.hpp"
#include "smartcrop/crop_planner.hpp"
#include "smartcrop/image_io.hpp"

namespace smartcrop {

struct RunParams {
  std::vector<std::string> inputs;
  std::string output;             // a file (one input, one ratio) or a folder; "" writes no images
  bool output_is_folder = false;  // decided by the CLI from the count of inputs and ratios
  CropParams crop;
  LoadOptions load;
  WriteOptions write;
  bool print_box = false;          // "x y w h" per crop on stdout
  bool json = false;               // one JSON object per input on stdout
  std::string dump_attention_dir;  // write <stem>.heads.f32 per photo (DINO backend only)
};

struct RunSummary {
  int written = 0;  // output images written
  int failed = 0;   // inputs that failed
  int inputs = 0;
  double seconds = 0.0;
};

// Returns the output path for `input` at `ratio` under `params` ("" if no output).
std::string output_path_for(const RunParams& params, const std::string& input, const AspectRatio& ratio);

// Processes every input with `backend`. Errors about one input are logged as
// "error: PATH: reason" and counted; the others go on. Throws smartcrop::Error only
// for failures that concern every input (e.g. the output folder).
RunSummary run_batch(const RunParams& params, SaliencyBackend& backend);

// Reads the evaluation harness's request list (TSV: image aw ah tw th W H id) and
// prints one "x y w h" line per request on stdout, "ERROR reason" for a failed one.
// Returns the number of failed requests.
int run_request_list(const std::string& list_path, SaliencyBackend& backend, const CropParams& base,
                     const LoadOptions& load);

}  // namespace smartcrop

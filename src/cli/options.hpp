#pragma once
// The smartcrop command's options: their definitions and the params they fill.

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "smartcrop/backend_factory.hpp"
#include "smartcrop/batch_runner.hpp"

namespace smartcrop::cli {

// --regions: steer by the regions stored in the file, or not.
enum class RegionsMode { Auto, Ignore };

struct Options {
  RunParams run;                    // inputs, outputs, naming, crop params (ratios filled by finish())
  std::vector<std::string> ratio_texts{"16:9"};
  Strategy strategy = Strategy::Auto;
  std::string shard_text;
  std::string size_text;
  std::string focus_text;     // --focus X,Y
  std::string keep_text;      // --keep X,Y,W,H
  RegionsMode regions = RegionsMode::Auto;
  bool overwrite = false;
  bool skip_existing = false;
  BackendKind backend = BackendKind::Auto;
  std::string model;
  SaliencyParams saliency;
  int threads = 0;
  int verbosity = 0;
  bool quiet = false;
  std::string request_list;  // --requests: the evaluation harness's mode
  int bench_forward = 0;     // hidden: time N bare forwards per input photo
  std::string window_model;  // --window-model (default: resolve_window_model_path)
  std::string dump_maps_dir; // hidden: --requests also writes each photo's maps (fit_window_model.py)
};

// Declares every option of the command on `app`, bound to `options`.
void add_options(CLI::App& app, Options& options);

// Completes `options` after parsing (ratios, shard, size, existing-output policy).
// Returns "" or a usage error message.
std::string finish_options(Options& options);

}  // namespace smartcrop::cli

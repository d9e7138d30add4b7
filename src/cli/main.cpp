// The smartcrop command: parse options, build the params, call the library, map
// errors to exit codes. No cropping logic lives here.
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "smartcrop/attention_model.hpp"
#include "smartcrop/backend_factory.hpp"
#include "smartcrop/batch_runner.hpp"
#include "smartcrop/dino_backend.hpp"
#include "smartcrop/error.hpp"
#include "smartcrop/ratio.hpp"

namespace fs = std::filesystem;
using namespace smartcrop;

namespace {

constexpr int kExitSomeFailed = 1;
constexpr int kExitFatal = 2;

void setup_logging(int verbosity, bool quiet) {
  auto logger = spdlog::stderr_color_mt("smartcrop");
  logger->set_pattern("%^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(quiet ? spdlog::level::err
                          : verbosity >= 2 ? spdlog::level::trace
                          : verbosity == 1 ? spdlog::level::debug
                                           : spdlog::level::warn);
}

void log_backend(SaliencyBackend& backend, int threads) {
  auto* dino = dynamic_cast<DinoBackend*>(&backend);
  if (dino == nullptr) {
    spdlog::info("backend {}: {}", backend.name(), backend.description());
    return;
  }
  const ModelInfo& info = dino->model().info();
  spdlog::info("loaded model {} ({}, {} heads, {:.1f} MB) in {:.0f} ms, {} threads; weights: {}", info.path,
               info.architecture, info.heads, info.file_bytes / 1e6, info.load_ms, threads, info.weights_source);
  if (info.random_weights) {
    spdlog::warn("model {} has {}: its crops say nothing about the photo (for tests and benchmarks only)", info.path,
                 info.weights_source);
  }
  if (using_reference_blas()) {
    spdlog::warn("running on the reference BLAS, 20x slower than OpenBLAS: run scripts/setup.sh or "
                 "'apt-get install libopenblas0-openmp'");
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"smartcrop: content-aware cropping with DINO ViT attention.\n"
               "  smartcrop in.jpg --ratio 16:9 -o out.jpg\n"
               "  smartcrop photos/*.jpg --ratio 16:9 --ratio 1:1 -o thumbs/",
               "smartcrop"};
  app.get_formatter()->column_width(34);

  std::vector<std::string> inputs;
  std::vector<std::string> ratio_texts{"16:9"};
  std::string output, model, request_list, dump_dir;
  BackendKind backend_kind = BackendKind::Auto;
  Strategy strategy = Strategy::Peak;
  SaliencyParams saliency;
  RunParams run;
  int threads = 0, verbosity = 0;
  bool quiet = false;

  app.add_option("inputs", inputs, "Photos to crop (JPEG, PNG, WebP, TIFF, BMP)");
  app.add_option("-r,--ratio", ratio_texts, "Aspect ratio W:H, WxH or a number; repeat or comma-separate for several")
      ->capture_default_str()
      ->delimiter(',');
  app.add_option("-o,--output", output, "Output file (one photo, one ratio) or folder");
  app.add_option("--model", model, "TorchScript model (default: $SMARTCROP_MODEL or models/dino_vits16.pt)");
  app.add_option("--backend", backend_kind, "Saliency: auto (DINO if a model is found), dino, saliency, center")
      ->transform(CLI::CheckedTransformer(std::map<std::string, BackendKind>{{"auto", BackendKind::Auto},
                                                                             {"dino", BackendKind::Dino},
                                                                             {"saliency", BackendKind::Saliency},
                                                                             {"center", BackendKind::Center}},
                                          CLI::ignore_case))
      ->capture_default_str();
  app.add_option("--strategy", strategy, "Window placement: peak (centre on the blurred peak) or mass")
      ->transform(CLI::CheckedTransformer(std::map<std::string, Strategy>{{"peak", Strategy::Peak},
                                                                          {"mass", Strategy::Mass}},
                                          CLI::ignore_case))
      ->capture_default_str();
  app.add_option("--input-size", saliency.input_size, "Short side the photo is analysed at, in pixels")
      ->check(CLI::Range(16, 4096))
      ->capture_default_str();
  app.add_option("--head-threshold", saliency.head_threshold,
                 "Per-head share of attention mass kept as a vote; 0 sums raw attention")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--blur", saliency.blur_px, "Box blur window, in pixels of a 480 px short side")
      ->check(CLI::Range(1, 480))
      ->capture_default_str();
  app.add_option("--threads", threads, "Inference threads (0 = all available cores)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  app.add_option("--quality", run.write.jpeg_quality, "JPEG/WebP quality")->check(CLI::Range(1, 100))->capture_default_str();
  app.add_option("--max-pixels", run.load.max_pixels, "Refuse larger images (decompression-bomb guard; 0 = no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_flag("--print-box", run.print_box, "Print each crop box as 'x y w h' (original pixels) on stdout");
  app.add_flag("--json", run.json, "Print one JSON record per photo on stdout");
  app.add_option("--requests", request_list,
                 "Evaluation mode: read a TSV of requests (image aw ah ...) and print one box per line");
  app.add_option("--dump-attention", dump_dir, "Write each photo's per-head attention as DIR/<stem>.heads.f32")
      ->check(CLI::ExistingDirectory);
  app.add_flag("-v,--verbose", verbosity, "More log lines on stderr (-vv for all)");
  app.add_flag("-q,--quiet", quiet, "Only errors on stderr");
  app.set_version_flag("--version", "smartcrop 0.1.0");

  CLI11_PARSE(app, argc, argv);
  setup_logging(verbosity, quiet);

  CropParams crop;
  crop.strategy = strategy;
  try {
    for (const auto& text : ratio_texts) crop.ratios.push_back(parse_ratio(text));
  } catch (const std::invalid_argument& e) {
    spdlog::error("{}", e.what());
    return static_cast<int>(CLI::ExitCodes::ValidationError);
  }
  if (inputs.empty() && request_list.empty()) {
    std::fprintf(stderr, "%s", app.help().c_str());
    spdlog::error("no input photos given");
    return static_cast<int>(CLI::ExitCodes::RequiredError);
  }
  if (output.empty() && !run.print_box && !run.json && request_list.empty() && dump_dir.empty()) {
    spdlog::error("nothing to write: give -o FILE_OR_FOLDER, --print-box or --json");
    return static_cast<int>(CLI::ExitCodes::RequiredError);
  }

  const int used_threads = set_torch_threads(threads);
  BackendChoice choice;
  try {
    choice = make_backend(backend_kind, resolve_model_path(model), saliency);
  } catch (const Error& e) {
    spdlog::error("{}", e.what());
    return kExitFatal;
  }
  if (!choice.fallback_reason.empty()) spdlog::warn("{}", choice.fallback_reason);
  log_backend(*choice.backend, used_threads);

  try {
    if (!request_list.empty()) {
      return run_request_list(request_list, *choice.backend, crop, run.load) > 0 ? kExitSomeFailed : 0;
    }
    run.inputs = inputs;
    run.crop = crop;
    run.output = output;
    run.dump_attention_dir = dump_dir;
    const bool single = inputs.size() == 1 && crop.ratios.size() == 1;
    run.output_is_folder = !output.empty() && (!single || fs::is_directory(output) || output.back() == '/');
    if (run.output_is_folder && fs::exists(output) && !fs::is_directory(output)) {
      spdlog::error("{}: output is a file, but several crops need a folder", output);
      return kExitFatal;
    }
    RunSummary summary = run_batch(run, *choice.backend);
    spdlog::info("{} written, {} failed, {} inputs in {:.2f} s", summary.written, summary.failed, summary.inputs,
                 summary.seconds);
    return summary.failed > 0 ? kExitSomeFailed : 0;
  } catch (const Error& e) {
    spdlog::error("{}", e.what());
    return kExitFatal;
  }
}

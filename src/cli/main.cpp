// The smartcrop command: parse options, build the params, call the library, map
// errors to exit codes. No cropping logic lives here.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "interrupts.hpp"
#include "options.hpp"
#include "saliency/dino_plugin.hpp"
#include "smartcrop/backend_factory.hpp"
#include "smartcrop/batch_runner.hpp"
#include "smartcrop/error.hpp"
#include "smartcrop/process_memory.hpp"
#include "smartcrop/window_model_file.hpp"

using namespace smartcrop;

namespace {

constexpr int kExitSomeFailed = 1;
constexpr int kExitFatal = 2;
// Each worker holds its own forward's tensors (up to ~0.6 GB for a 3:1 panorama).
constexpr int kMaxAutoWorkers = 8;

std::atomic<bool> g_interrupted{false};
std::atomic<long> g_heartbeat{0};

void setup_logging(int verbosity, bool quiet) {
  auto logger = spdlog::stderr_color_mt("smartcrop");
  logger->set_pattern("%^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(quiet ? spdlog::level::err
                          : verbosity >= 2 ? spdlog::level::trace
                          : verbosity == 1 ? spdlog::level::debug
                                           : spdlog::level::warn);
}

void log_backend(const SaliencyBackend& backend) {
  const BackendReport report = backend.report();
  spdlog::info("{}", report.info);
  for (const std::string& note : report.notes) spdlog::info("{}", note);
  for (const std::string& warning : report.warnings) spdlog::warn("{}", warning);
}

// Prints {"forwards": N, "seconds_per_forward": S, ...} for the hidden --bench-forward.
int run_forward_bench(const cli::Options& o) {
  std::vector<cv::Mat> photos;
  for (const auto& file : collect_inputs(o.run.input).files) photos.push_back(load_image(file.path).pixels);
  const ForwardBenchResult r =
      dino_plugin().bench_forward(resolve_model_path(o.model).path, o.saliency, photos, o.bench_forward);
  std::printf("{\"forwards\": %d, \"seconds_per_forward\": %.6f, \"input_size\": %d, \"photos\": %d, "
              "\"seconds\": %.6f, \"batch_size\": %d, \"device\": \"%s\"}\n",
              r.forwards, r.seconds_per_forward, o.saliency.input_size, r.photos, r.seconds, r.batch_size,
              r.device.c_str());
  return 0;
}

// Under -v: where the DINO model is looked for, in order, and what is there
// (scripts/model_lookup.py prints the same for `smartcrop-model info`).
void log_model_lookup(const ModelLocation& model) {
  spdlog::info("DINO model lookup, in order (the first file found is used; a named one must load):");
  for (const std::string& line : model.lookup) spdlog::info("  {}", line);
}

// What the launcher (src/cli/launcher.cpp) asked glibc for, for the debug log.
void log_heap_pages() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  const bool huge = tunables != nullptr && std::strstr(tunables, "glibc.malloc.hugetlb=1") != nullptr;
  spdlog::debug("heap on transparent huge pages: {} (GLIBC_TUNABLES={})", huge ? "yes" : "no",
                tunables != nullptr ? tunables : "");
}

int run(int argc, char** argv) {
  // What runs is said before the examples: without a model, the built-in saliency
  // does, whatever the tool's name for itself suggests.
  CLI::App app{"smartcrop: content-aware cropping, by DINO ViT attention or a built-in saliency.\n"
               "Here --backend auto runs " + auto_backend_plan(resolve_model_path("")) + ".\n"
               "  smartcrop in.jpg --ratio 16:9 -o out.jpg\n"
               "  smartcrop photos/*.jpg --ratio 16:9 --ratio 1:1 -o thumbs/\n"
               "  smartcrop -R photos/ --ratio 4:5 --size 1080 -o thumbs/ --skip-existing --json > crops.jsonl",
               "smartcrop"};
  app.get_formatter()->column_width(34);
  cli::Options options;
  cli::add_options(app, options);
  CLI11_PARSE(app, argc, argv);
  setup_logging(options.verbosity, options.quiet);
  log_heap_pages();
  const ModelLocation model = resolve_model_path(options.model);
  const bool wants_model = options.backend == BackendKind::Auto || options.backend == BackendKind::Dino;
  if (const std::string problem = cli::finish_options(options); !problem.empty()) {
    spdlog::error("{}", problem);
    return static_cast<int>(CLI::ExitCodes::ValidationError);
  }
  RunParams& run = options.run;
  if (run.input.paths.empty() && run.input.list_file.empty() && options.request_list.empty()) {
    std::fprintf(stderr, "%s", app.help().c_str());
    if (wants_model) log_model_lookup(model);  // `smartcrop -v` alone shows where it looks
    spdlog::error("no input photos given");
    return static_cast<int>(CLI::ExitCodes::RequiredError);
  }
  if (run.output.empty() && !run.print_box && !run.json && !run.dry_run && options.request_list.empty() &&
      run.dump_attention_dir.empty() && options.bench_forward == 0 && !run.review.enabled()) {
    spdlog::error("nothing to write: give -o FILE_OR_FOLDER, --print-box, --json, --compare, --review or --dry-run");
    return static_cast<int>(CLI::ExitCodes::RequiredError);
  }

  if (wants_model) log_model_lookup(model);

  const int used_threads = options.threads > 0 ? options.threads : available_cores();
  options.saliency.threads = used_threads;
  // A batch analyses photos side by side, one Torch thread each: on 2 cores two
  // single-threaded forwards do more per second than one forward on both cores, and
  // decoding and writing fill the gaps instead of stalling OpenMP's barriers
  // (docs/PERFORMANCE.md). A single photo gets every thread.
  run.threads = used_threads;
  if (run.workers == 0) run.workers = std::min(used_threads, kMaxAutoWorkers);
  BackendChoice choice;
  std::unique_ptr<EarlyDecode> early;
  try {
    if (options.bench_forward > 0) return run_forward_bench(options);
    // The first photos decode on another core while the model loads.
    if (options.request_list.empty()) {
      early = std::make_unique<EarlyDecode>(run.input, run.load, std::max(1, run.decode_threads));
    }
    run.early_decode = early.get();
    choice = make_backend(options.backend, model, options.saliency);
  } catch (const Error& e) {
    spdlog::error("{}", e.what());
    return kExitFatal;
  }
  if (!choice.fallback_reason.empty()) spdlog::warn("{}", choice.fallback_reason);
  log_backend(*choice.backend);
  if (choice.backend->name() != "dino" && (options.saliency.device != "auto" || options.saliency.batch_size > 0)) {
    spdlog::info("--device {} and --batch-size {} ignored: the {} backend runs on the CPU, one photo at a time",
                 options.saliency.device, options.saliency.batch_size, choice.backend->name());
  }
  if (choice.backend->batch_size() > 1) {
    // The model takes batches on its own thread: decode on every core meanwhile.
    run.decode_threads = std::max(run.decode_threads, available_cores());
  }
  run.crop.strategy = resolve_strategy(run.crop.strategy, choice.backend->name());
  run.crop.backend_name = choice.backend->name();
  run.crop.window_scores = run.review.enabled();  // the strip shows what chose each window
  if (run.crop.strategy == Strategy::Learned) {
    try {
      const std::string path = resolve_window_model_path(options.window_model);
      run.crop.window_model = std::make_shared<const WindowModel>(load_window_model(path));
      spdlog::info("window model {} ({} features)", path, run.crop.window_model->features.size());
    } catch (const Error& e) {
      spdlog::error("{}", e.what());
      return kExitFatal;
    }
  }

  try {
    if (!options.request_list.empty()) {
      return run_request_list(options.request_list, *choice.backend, run.crop, run.load, options.dump_maps_dir) > 0
                 ? kExitSomeFailed
                 : 0;
    }
    cli::stop_gracefully(&g_interrupted, &g_heartbeat);
    run.cancel = &g_interrupted;
    run.heartbeat = &g_heartbeat;
    run.progress = !options.quiet && ::isatty(STDERR_FILENO);
    const RunSummary summary = run_batch(run, *choice.backend);
    if (!options.quiet && (summary.inputs != 1 || summary.failed > 0 || summary.interrupted ||
                            summary.skipped_hidden + summary.skipped_unsupported > 0)) {
      std::fprintf(stderr, "summary: %s\n", format_summary(summary).c_str());
    }
    if (summary.interrupted || g_interrupted.load()) return std::max(cli::interrupted_exit_code(), kExitSomeFailed);
    return summary.failed > 0 || summary.hint_errors > 0 ? kExitSomeFailed : 0;
  } catch (const UsageError& e) {
    spdlog::error("{}", e.what());
    return static_cast<int>(CLI::ExitCodes::ValidationError);
  } catch (const NoPhotosError& e) {
    spdlog::error("{}", e.what());
    return kExitSomeFailed;
  } catch (const Error& e) {
    spdlog::error("{}", e.what());
    return kExitFatal;
  }
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory_for_reuse();
  prefer_avx512_kernels();        // before any thread: it sets an environment variable
  cli::start_interrupt_thread();  // before any other thread: they inherit the blocked signals
  const int code = run(argc, argv);
  // Every output is closed and renamed into place by now. Skip the static
  // destructors: libtorch deregisters its thousands of operators one by one, which
  // took 0.1-0.2 s of every run (docs/PERFORMANCE.md).
  spdlog::default_logger()->flush();
  std::fflush(nullptr);
  std::_Exit(code);
}

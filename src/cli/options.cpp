#include "options.hpp"

#include <map>
#include <stdexcept>
#include <utility>
#include <vector>

#include "smartcrop/ratio.hpp"
#include "smartcrop/steering.hpp"

namespace smartcrop::cli {

namespace {

// A CLI11 validator from a parser that throws std::invalid_argument.
template <typename Parse>
CLI::Validator parsed_by(Parse parse, const std::string& name) {
  return CLI::Validator(
      [parse](std::string& text) -> std::string {
        try {
          parse(text);
          return "";
        } catch (const std::invalid_argument& e) {
          return e.what();
        }
      },
      name);
}

// Adds an option that takes one of `choices` by name (case-insensitive); --help
// shows the names and the current default by name, not the enum's number.
template <typename T>
CLI::Option* add_choice(CLI::App& app, const std::string& flags, T& target,
                        const std::vector<std::pair<std::string, T>>& choices, const std::string& help) {
  std::string names, current;
  for (const auto& [name, value] : choices) {
    names += (names.empty() ? "" : "|") + name;
    if (value == target) current = name;
  }
  return app.add_option(flags, target, help)
      ->transform(CLI::CheckedTransformer(std::map<std::string, T>(choices.begin(), choices.end()), CLI::ignore_case)
                      .description(""))
      ->option_text(names + "=" + current);
}

}  // namespace

void add_options(CLI::App& app, Options& o) {
  RunParams& run = o.run;
  app.add_option("inputs", run.input.paths, "Photos or folders (JPEG, PNG, WebP, TIFF, BMP)");
  app.add_option("--from", run.input.list_file, "Read more input paths from FILE, one per line ('-' = stdin)");
  app.add_flag("-R,--recursive", run.input.recursive, "Descend into subfolders of folder inputs");
  app.add_option("--shard", o.shard_text, "Process only the K-th of N slices of the sorted inputs (K/N, 1-based)")
      ->check(parsed_by([](const std::string& t) { parse_shard(t); }, "K/N"));

  app.add_option("-r,--ratio", o.ratio_texts, "Aspect ratio W:H, WxH or a number; repeat or comma-separate for several")
      ->capture_default_str()
      ->delimiter(',');
  app.add_option("-o,--output", run.output, "Output file (one photo, one ratio) or folder");
  app.add_option("--name", run.name_template,
                 "Output name in the folder: {stem} {ext} {ratio} {dir} (input subfolder); the extension sets "
                 "the format")
      ->capture_default_str()
      ->check(parsed_by([](const std::string& t) { check_name_template(t); }, "TEMPLATE"));
  auto* overwrite = app.add_flag("--overwrite", o.overwrite, "Replace existing outputs (inputs never)");
  app.add_flag("--skip-existing", o.skip_existing, "Keep existing outputs and skip their work (resume a run)")
      ->excludes(overwrite);
  app.add_flag("-n,--dry-run", run.dry_run, "Compute and report the crops, write no image");
  app.add_option("--size", o.size_text, "Resize each crop to WxH (fitted, ratio kept) or to width W")
      ->check(parsed_by([](const std::string& t) { parse_output_size(t); }, "WxH"));
  app.add_option("--quality", run.write.jpeg_quality, "JPEG/WebP quality")->check(CLI::Range(1, 100))->capture_default_str();
  app.add_option("--max-pixels", run.load.max_pixels, "Refuse larger images (decompression-bomb guard; 0 = no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();

  app.add_option("--focus", o.focus_text,
                 "Centre every crop on X,Y as far as the edges allow: fractions (0.7,0.3) or pixels (1200,400px) "
                 "of the upright photo")
      ->check(parsed_by([](const std::string& t) { parse_focus(t); }, "X,Y"));
  app.add_option("--keep", o.keep_text,
                 "Keep the region X,Y,W,H (fractions or ...px) inside every crop; the window model places it")
      ->check(parsed_by([](const std::string& t) { parse_keep(t); }, "X,Y,W,H"));
  app.add_option("--hints", run.steer.hints_file,
                 "Per-photo focus/keep: CSV with a header path,focus,keep or JSON lines ('-' = stdin); "
                 "overrides --focus/--keep for its photos");
  add_choice<RegionsMode>(app, "--regions", o.regions, {{"auto", RegionsMode::Auto}, {"ignore", RegionsMode::Ignore}},
                   "Face/pet/focus regions stored in the file (XMP, sidecar): auto steers by them, ignore does not");
  app.add_option("--model", o.model, "TorchScript model (default: $SMARTCROP_MODEL, else dino_vits16.pt in the per-user, then the system "
                 "model folder; -v lists where)");
  add_choice<BackendKind>(app, "--backend", o.backend,
                          {{"auto", BackendKind::Auto}, {"dino", BackendKind::Dino}, {"saliency", BackendKind::Saliency}, {"center", BackendKind::Center}},
                          "Saliency: auto (DINO if a model is found), dino, saliency, center");
  add_choice<Strategy>(app, "--strategy", o.strategy,
                       {{"auto", Strategy::Auto}, {"learned", Strategy::Learned}, {"peak", Strategy::Peak},
                        {"mass", Strategy::Mass}},
                       "Window placement: learned (the model fitted on human crops), peak (centre on the blurred "
                       "peak), mass (keep the most saliency), auto (learned for saliency, peak for dino, mass for "
                       "center)");
  app.add_option("--window-model", o.window_model,
                 "learned: the fitted window model (default: $SMARTCROP_WINDOW_MODEL or models/window_model.json)");
  app.add_option("--center-prior", run.crop.mass.center_prior,
                 "mass: penalty on the crop centre's squared distance from the photo centre (fractions of its size)")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  app.add_option("--input-size", o.saliency.input_size, "Short side the photo is analysed at, in pixels")
      ->check(CLI::Range(16, 4096))
      ->capture_default_str();
  app.add_option("--head-threshold", o.saliency.head_threshold,
                 "Per-head share of attention mass kept as a vote; 0 sums raw attention")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--blur", o.saliency.blur_px, "Box blur window, in pixels of a 480 px short side")
      ->check(CLI::Range(1, 480))
      ->capture_default_str();
  add_choice<Precision>(app, "--precision", o.saliency.precision,
                        {{"auto", Precision::Auto}, {"fp32", Precision::Fp32}, {"bf16", Precision::Bf16},
                         {"fp16", Precision::Fp16}, {"tf32", Precision::Tf32}},
                        "Model arithmetic: fp32, bf16 (mixed), fp16 (mixed, GPU), tf32 (GPU), or auto (bf16 where "
                        "the CPU has it, else fp32; tf32 on a GPU)");
  app.add_option("--device", o.saliency.device,
                 "DINO: where the model runs: auto (CUDA if this LibTorch has it and sees a GPU, else the CPU), "
                 "cpu, cuda, cuda:N")
      ->check([](const std::string& text) -> std::string {
        if (text == "auto" || text == "cpu" || text == "cuda") return "";
        if (text.rfind("cuda:", 0) == 0 && text.size() > 5 && text.size() <= 8 &&
            text.find_first_not_of("0123456789", 5) == std::string::npos) {
          return "";
        }
        return "expected auto, cpu, cuda or cuda:N, not '" + text + "'";
      })
      ->capture_default_str();
  app.add_option("--batch-size", o.saliency.batch_size,
                 "DINO: photos of one shape per model forward (0 = 32 on a GPU, 1 on the CPU)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  app.add_option("--threads", o.threads, "Inference threads (0 = all available cores)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  o.run.workers = 0;
  app.add_option("--workers", o.run.workers,
                 "Photos analysed at once in a batch, sharing the threads (0 = one per thread, up to 8)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();

  app.add_flag("--print-box", run.print_box, "Print each crop box as 'x y w h' (original pixels) on stdout");
  app.add_flag("--json", run.json, "Print one JSON record per photo on stdout");
  app.add_option("--requests", o.request_list,
                 "Evaluation mode: read a TSV of requests (image aw ah ...) and print one box per line");
  app.add_option("--dump-attention", run.dump_attention_dir,
                 "Write each photo's per-head attention as DIR/<stem>.heads.f32")
      ->check(CLI::ExistingDirectory);
  app.add_option("--compare", run.review.compare,
                 "Write a five-panel comparison strip: FILE (.jpg/.png) for one photo, else "
                 "FOLDER/{stem}_compare.jpg");
  app.add_option("--compare-width", run.review.compare_options.max_width, "Maximum width of a comparison strip")
      ->check(CLI::Range(320, 16384))
      ->capture_default_str();
  app.add_option("--review", run.review.review_dir,
                 "Write FOLDER/index.html: every photo's strip and confidence, least confident first");
  app.add_flag("-v,--verbose", o.verbosity, "More log lines on stderr (-vv for all)");
  app.add_flag("-q,--quiet", o.quiet, "Only errors on stderr: no progress line, no summary");
  // Hidden (empty group): used by scripts/bench/bench_batch.py to time the bare model forward.
  app.add_option("--bench-forward", o.bench_forward, "Time N bare forwards per input photo")->group("");
  // Hidden: used by scripts/quality/fit_window_model.py to fit on exactly the maps the search sees.
  app.add_option("--dump-maps", o.dump_maps_dir, "With --requests, write each photo's maps to DIR")
      ->check(CLI::ExistingDirectory)
      ->group("");
  app.set_version_flag("--version", "smartcrop 0.1.0");
}

std::string finish_options(Options& o) {
  RunParams& run = o.run;
  run.crop.strategy = o.strategy;
  try {
    for (const auto& text : o.ratio_texts) run.crop.ratios.push_back(parse_ratio(text));
    if (!o.shard_text.empty()) run.input.shard = parse_shard(o.shard_text);
    if (!o.size_text.empty()) run.size = parse_output_size(o.size_text);
    if (!o.focus_text.empty()) run.steer.flags.focus = parse_focus(o.focus_text);
    if (!o.keep_text.empty()) run.steer.flags.keep = parse_keep(o.keep_text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  if (run.steer.hints_file == "-" && run.input.list_file == "-") {
    return "--hints - and --from - cannot both read standard input";
  }
  run.load.read_regions = o.regions == RegionsMode::Auto;
  run.existing = o.overwrite ? ExistingOutput::Overwrite
                 : o.skip_existing ? ExistingOutput::Skip
                                   : ExistingOutput::Fail;
  return "";
}

}  // namespace smartcrop::cli

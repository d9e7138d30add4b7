#include "smartcrop/batch_runner.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <spdlog/spdlog.h>

#include "hints.hpp"
#include "io/temp_files.hpp"
#include "photo_job.hpp"
#include "pipeline.hpp"
#include "progress.hpp"
#include "smartcrop/error.hpp"

namespace fs = std::filesystem;

namespace smartcrop {

namespace {

constexpr std::size_t kMaxListedProblems = 10;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Returns "" or the inputs named in an error: the first few paths given.
std::string named_inputs(const InputSpec& spec) {
  std::string text;
  std::size_t shown = 0;
  for (const auto& path : spec.paths) {
    if (shown++ == 3) return text + ", ...";
    text += (text.empty() ? "" : ", ") + path;
  }
  if (!spec.list_file.empty()) text += (text.empty() ? "" : ", ") + ("--from " + spec.list_file);
  return text;
}

// Refuses a run with no photo at all before anything is created. An empty shard
// of a non-empty job is fine: the other shards have the photos.
void require_photos(const RunParams& params, const InputList& list) {
  if (list.total > 0) return;
  std::string why;
  if (list.skipped_unsupported > 0) why += std::to_string(list.skipped_unsupported) + " files that are not images";
  if (list.skipped_hidden > 0) why += (why.empty() ? "" : ", ") + std::to_string(list.skipped_hidden) + " hidden";
  throw NoPhotosError("", "no photos found in " + named_inputs(params.input) + (why.empty() ? "" : " (" + why + ")"));
}

// -o NAME.jpg names a file, never a folder: a run that would write several crops
// there is refused before any work, rather than making a folder called NAME.jpg.
// Otherwise one input and one ratio give a file; several, a folder.
bool output_is_folder(const RunParams& params, const InputList& list) {
  const std::string& out = params.output;
  if (out.empty()) return false;
  std::error_code ec;
  if (out.back() == '/' || fs::is_directory(out, ec)) return true;
  const std::size_t crops = list.files.size() * params.crop.ratios.size();
  if (has_image_extension(out)) {
    if (crops > 1 || list.total > 1) {
      throw UsageError(out, "names one image file, but this run writes " + std::to_string(crops) + " crops (" +
                                std::to_string(list.files.size()) + " photos x " +
                                std::to_string(params.crop.ratios.size()) +
                                " ratios): give a folder (-o " + fs::path(out).stem().string() +
                                "/) and, to choose the names in it, --name (e.g. '{stem}_{ratio}.jpg')");
    }
    return false;
  }
  return list.total != 1 || list.folders_given > 0 || !params.input.list_file.empty() ||
         params.crop.ratios.size() != 1;
}

template <typename Items, typename Describe>
void log_problems(const Items& items, Describe describe) {
  for (std::size_t i = 0; i < items.size() && i < kMaxListedProblems; ++i) spdlog::error("{}", describe(items[i]));
  if (items.size() > kMaxListedProblems) spdlog::error("... and {} more", items.size() - kMaxListedProblems);
}

// Plans every photo's outputs and refuses, before any work, names that collide,
// land on an input, or exist without --overwrite/--skip-existing. The paths move from
// `list` into the plans, which a long run keeps (one copy of each path, not two).
std::vector<PhotoPlan> plan_photos(const RunParams& params, InputList& list, bool folder) {
  auto outputs = plan_output_paths(list.files, params.crop.ratios, params.output, folder, params.name_template);
  // Sharded, the names of every shard are checked: each task stops alike, before any
  // work, rather than two tasks writing one name and one of them skipping it.
  const auto& everyone = list.all_shards.empty() ? list.files : list.all_shards;
  const auto conflicts = find_naming_conflicts(
      everyone, list.all_shards.empty()
                    ? outputs
                    : plan_output_paths(everyone, params.crop.ratios, params.output, folder, params.name_template));
  if (!conflicts.empty()) {
    log_problems(conflicts, [](const NamingConflict& c) { return c.path + ": " + c.reason; });
    throw Error("", std::to_string(conflicts.size()) + " output name conflict(s); nothing was written");
  }
  std::vector<InputFile>().swap(list.all_shards);
  std::vector<PhotoPlan> plans(list.files.size());
  std::vector<std::string> existing;
  for (std::size_t i = 0; i < plans.size(); ++i) {
    PhotoPlan& plan = plans[i];
    plan.input = std::move(list.files[i]);
    plan.outputs = std::move(outputs[i]);
    plan.keep_existing.assign(plan.outputs.size(), false);
    std::size_t kept = 0;
    for (std::size_t r = 0; r < plan.outputs.size(); ++r) {
      std::error_code ec;
      if (plan.outputs[r].empty() || !fs::exists(plan.outputs[r], ec)) continue;
      if (params.existing == ExistingOutput::Skip) {
        plan.keep_existing[r] = true;
        ++kept;
      } else if (params.existing == ExistingOutput::Fail) {
        existing.push_back(plan.outputs[r]);
      }
    }
    plan.skip_all = kept > 0 && kept == plan.outputs.size();
  }
  std::vector<InputFile>().swap(list.files);
  if (!existing.empty() && !params.dry_run) {
    log_problems(existing, [](const std::string& path) { return path + ": output exists"; });
    throw Error("", std::to_string(existing.size()) +
                        " output(s) already exist: use --overwrite to replace them or --skip-existing to keep "
                        "them; nothing was written");
  }
  return plans;
}

// Removes what killed writers left in the folders this run writes to (temp_files.hpp),
// also where every output exists already and nothing will be written: a rerun after
// SIGKILL leaves no temp file behind. One directory listing per folder.
void remove_stale_temps(const std::vector<PhotoPlan>& plans) {
  std::string last;
  for (const auto& plan : plans) {
    for (const auto& out : plan.outputs) {
      if (out.empty()) continue;
      const fs::path folder = fs::path(out).parent_path();
      const std::string name = folder.empty() ? "." : folder.string();
      if (name != last) remove_stale_temps_once(name);
      last = name;
    }
  }
}

}  // namespace

std::string format_summary(const RunSummary& s) {
  const auto photos = [](int n) { return std::to_string(n) + (n == 1 ? " photo" : " photos"); };
  char text[512];
  int n = std::snprintf(text, sizeof text, "%d written, %d skipped, %d failed; %s in %.1f s", s.written, s.skipped,
                        s.failed, photos(s.inputs).c_str(), s.seconds);
  std::string line(text, static_cast<std::size_t>(std::max(0, n)));
  // A rate of photos that all failed, or whose outputs all existed, would read as speed.
  if (s.written > 0 && s.seconds > 0) {
    std::snprintf(text, sizeof text, " (%.2f photos/s)", (s.inputs - s.not_processed) / s.seconds);
    line += text;
  }
  if (s.hint_errors > 0) line += "; " + std::to_string(s.hint_errors) + " hints row(s) matched no photo";
  if (s.interrupted) line += "; interrupted, " + photos(s.not_processed) + " not processed";
  if (s.skipped_hidden + s.skipped_unsupported > 0) {
    line += "; ignored in folders: " + std::to_string(s.skipped_hidden) + " hidden, " +
            std::to_string(s.skipped_unsupported) + " not images";
  }
  return line;
}

RunSummary run_batch(const RunParams& params, SaliencyBackend& backend) {
  const auto start = std::chrono::steady_clock::now();
  InputList list = collect_inputs(params.input);
  spdlog::debug("found {} photos in {:.2f} s", list.total, seconds_since(start));
  RunSummary summary;
  summary.inputs = static_cast<int>(list.files.size());
  summary.skipped_hidden = list.skipped_hidden;
  summary.skipped_unsupported = list.skipped_unsupported;
  if (params.input.shard.count > 1) {
    spdlog::info("shard {}/{}: {} of {} photos", params.input.shard.index, params.input.shard.count,
                 list.files.size(), list.total);
  }
  require_photos(params, list);
  if (list.files.empty()) spdlog::warn("no photos in this shard");

  const bool folder = output_is_folder(params, list);
  if (folder && fs::exists(params.output) && !fs::is_directory(params.output)) {
    throw Error(params.output, "output is a file, but several crops need a folder");
  }
  const auto planning = std::chrono::steady_clock::now();
  std::vector<PhotoPlan> plans = plan_photos(params, list, folder);
  spdlog::debug("planned {} outputs in {:.2f} s", plans.size() * params.crop.ratios.size(), seconds_since(planning));
  if (!params.steer.hints_file.empty()) {
    summary.hint_errors = load_hints(params.steer.hints_file, plans, params.input.shard.count > 1);
  }
  if (folder && !params.dry_run) {
    std::error_code ec;
    fs::create_directories(params.output, ec);
    if (ec || !fs::is_directory(params.output)) throw Error(params.output, "cannot create output folder");
  }

  if (!params.dry_run) remove_stale_temps(plans);

  RunParams effective = params;
  effective.write.overwrite = params.existing == ExistingOutput::Overwrite;
  effective.write.keep_existing = params.existing == ExistingOutput::Skip;
  std::unique_ptr<BatchReview> review;
  if (params.review.enabled()) {
    review = std::make_unique<BatchReview>(params.review, static_cast<int>(plans.size()));
    effective.review_sink = review.get();
  }
  ProgressLine progress(static_cast<int>(plans.size()), params.progress);
  run_pipeline(plans, effective, backend, progress, summary);
  progress.finish();
  if (review) {
    const std::string page = review->finish(review_summary(backend, params.crop, params.output));
    if (!page.empty()) spdlog::info("review page: {}", page);
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace smartcrop

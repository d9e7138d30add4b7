#include "smartcrop/batch_review.hpp"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "smartcrop/error.hpp"
#include "smartcrop/output_naming.hpp"

namespace fs = std::filesystem;

namespace smartcrop {

namespace {

// Strips are JPEG in a folder: a 2400 px strip of a photo is ~10x smaller than PNG.
constexpr const char* kCompareTemplate = "{dir}/{stem}_compare.jpg";

void make_folder(const std::string& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec || !fs::is_directory(folder)) {
    throw Error(folder, "cannot create folder" + (ec ? ": " + ec.message() : std::string()));
  }
}

}  // namespace

ReviewSummary review_summary(SaliencyBackend& backend, const CropParams& crop, const std::string& output) {
  ReviewSummary summary;
  summary.backend = backend.name() + ": " + backend.description();
  std::string ratios;
  for (const auto& r : crop.ratios) ratios += (ratios.empty() ? "" : ", ") + ratio_display(r);
  summary.settings.emplace_back("ratios", ratios);
  summary.settings.emplace_back("strategy", strategy_name(crop.strategy == Strategy::Auto ? Strategy::Peak : crop.strategy));
  summary.settings.emplace_back("crops written to", output.empty() ? "(none)" : output);
  return summary;
}

bool compare_is_folder(const std::string& compare, int photo_count) {
  if (compare.empty()) return false;
  if (compare.back() == '/' || fs::is_directory(compare)) return true;
  return photo_count != 1 || fs::path(compare).extension().empty();
}

BatchReview::BatchReview(const ReviewParams& params, int photo_count)
    : params_(params), compare_folder_(compare_is_folder(params.compare, photo_count)) {
  if (compare_folder_) make_folder(params_.compare);
  if (!compare_folder_ && !params_.compare.empty() && !is_writable_format(params_.compare)) {
    throw Error(params_.compare, "unsupported comparison format (use .jpg, .png or .webp, or a folder)");
  }
  if (!params_.review_dir.empty()) page_ = std::make_unique<ReviewPage>(params_.review_dir);
}

std::string BatchReview::compare_path(const InputFile& input) {
  if (params_.compare.empty()) return "";
  if (!compare_folder_) return params_.compare;
  // Two inputs with one stem (from different folders) must not share a strip.
  const fs::path base = fs::path(params_.compare) / expand_name(kCompareTemplate, input, "");
  std::string path = base.string();
  for (int n = 2; !used_.insert(path).second; ++n) {
    path = (base.parent_path() / (base.stem().string() + "_" + std::to_string(n) + base.extension().string())).string();
  }
  return path;
}

bool BatchReview::add_photo(const InputFile& input, const cv::Mat& photo, const CropPlan& plan) {
  const std::string path = compare_path(input);
  try {
    const ComparisonStrip strip = build_comparison(photo, plan, params_.compare_options);
    if (!path.empty()) {
      const fs::path folder = fs::path(path).parent_path();
      if (!folder.empty()) make_folder(folder.string());
      write_image_atomic(path, strip.image, params_.write);
      spdlog::debug("wrote comparison {}", path);
    }
    if (page_) page_->add_photo(input.path, strip.image, plan, path);
    return true;
  } catch (const std::exception& e) {
    const auto* error = dynamic_cast<const Error*>(&e);
    const std::string where = path.empty() ? input.path : path;
    const std::string message = error != nullptr && !error->path().empty() ? error->what() : where + ": " + e.what();
    spdlog::error("{}", message);
    if (page_) page_->add_failure(input.path, message);
    return false;
  }
}

void BatchReview::add_failure(const InputFile& input, const std::string& error) {
  if (page_) page_->add_failure(input.path, error);
}

std::string BatchReview::finish(const ReviewSummary& summary) const {
  return page_ ? page_->write(summary) : "";
}

}  // namespace smartcrop

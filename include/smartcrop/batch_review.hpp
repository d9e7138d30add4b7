#pragma once
// What a batch run writes for a person to review: each photo's comparison strip
// (--compare) and the review page over all of them (--review).

#include <memory>
#include <set>
#include <string>

#include <opencv2/core.hpp>

#include "smartcrop/backend.hpp"
#include "smartcrop/batch_inputs.hpp"
#include "smartcrop/comparison.hpp"
#include "smartcrop/review_page.hpp"

namespace smartcrop {

struct ReviewParams {
  std::string compare;     // --compare: a file for one photo, else a folder of {dir}/{stem}_compare.jpg
  std::string review_dir;  // --review: folder for index.html and its thumbnails
  CompareOptions compare_options;
  WriteOptions write;

  bool enabled() const { return !compare.empty() || !review_dir.empty(); }
};

// Returns true if `compare` names a folder for `photo_count` photos: it ends in
// '/', is an existing folder, has no image extension, or several photos are given.
bool compare_is_folder(const std::string& compare, int photo_count);

// Returns the review page's summary for a run of `backend` at `crop`'s ratios.
ReviewSummary review_summary(SaliencyBackend& backend, const CropParams& crop, const std::string& output);

// Used from the batch writer thread: one call at a time.
class BatchReview {
 public:
  // Makes the folders. Throws smartcrop::Error naming the one that cannot be made.
  BatchReview(const ReviewParams& params, int photo_count);

  // Writes the strip of a photo that was cropped (and its review thumbnail). On
  // failure logs "error: PATH: reason", lists the photo as failed and returns false.
  bool add_photo(const InputFile& input, const cv::Mat& photo, const CropPlan& plan);

  // Lists a photo that failed with `error` ("PATH: reason").
  void add_failure(const InputFile& input, const std::string& error);

  // Writes the review page, if one was asked for, and returns its path ("" if none).
  // Throws smartcrop::Error.
  std::string finish(const ReviewSummary& summary) const;

 private:
  std::string compare_path(const InputFile& input);

  ReviewParams params_;
  bool compare_folder_ = false;
  std::unique_ptr<ReviewPage> page_;
  std::set<std::string> used_;
};

}  // namespace smartcrop

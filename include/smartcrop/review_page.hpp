#pragma once
// A static review page for a batch: one offline index.html listing every photo's
// comparison strip, crop boxes and confidence, least confident first, so a
// person checks the doubtful crops before trusting the rest.

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

#include "smartcrop/crop_planner.hpp"

namespace smartcrop {

struct ReviewCrop {
  std::string ratio;        // as a person writes it: "16:9"
  Box box;                  // original pixels
  double confidence = 0.0;  // share of attention inside the box
};

struct ReviewEntry {
  std::string name;         // the input as given on the command line
  std::string strip;        // strip thumbnail, relative to the review folder ("" if none)
  int strip_width = 0;      // thumbnail size, so the page lays out before images load
  int strip_height = 0;
  std::string full_strip;   // full-size comparison, relative to the review folder ("" if none)
  int width = 0;            // photo size
  int height = 0;
  std::vector<ReviewCrop> crops;
  std::string error;        // non-empty: the photo failed, and why

  // Lowest confidence over the crops (1 if there are none): the sort key.
  double min_confidence() const;
};

struct ReviewSummary {
  std::string backend;  // "dino: ViT-S/16 models/dino_vits16.pt", shown as given
  std::vector<std::pair<std::string, std::string>> settings;  // ("ratios", "16:9, 1:1"), shown in order
  std::string date;     // "" = now, local time
};

class ReviewPage {
 public:
  // Creates `folder` and its strips/ sub-folder. Thumbnails are at most
  // thumb_width pixels wide. Throws smartcrop::Error naming the folder.
  explicit ReviewPage(std::string folder, int thumb_width = 1600);

  // Writes a screen-size JPEG of `strip` into strips/ and adds the photo with its
  // crops from `plan`. `full_strip` (any path, "" if none) is linked from the
  // thumbnail. Safe to call from several threads. Throws smartcrop::Error.
  void add_photo(const std::string& name, const cv::Mat& strip, const CropPlan& plan,
                 const std::string& full_strip = "");

  // Adds a photo that failed with `error`. Safe to call from several threads.
  void add_failure(const std::string& name, const std::string& error);

  // Adds a prepared entry as is. Safe to call from several threads.
  void add(ReviewEntry entry);

  // Returns the entries in page order: failed ones first (by name), then the
  // others least confident first.
  std::vector<ReviewEntry> sorted_entries() const;

  // Returns the whole page as HTML.
  std::string render_html(const ReviewSummary& summary) const;

  // Writes folder/index.html atomically and returns its path. Throws smartcrop::Error.
  std::string write(const ReviewSummary& summary) const;

  const std::string& folder() const { return folder_; }

 private:
  std::string folder_;
  int thumb_width_;
  mutable std::mutex mutex_;
  std::vector<ReviewEntry> entries_;
  int next_id_ = 0;
};

}  // namespace smartcrop

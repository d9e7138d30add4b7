#pragma once
// The five-panel comparison strip a person looks at to judge a crop: the photo
// with the crop outlines, the map the backend made (titled by it), what chose the
// window (peak: the blurred map and its peak; mass, learned: the score of every
// window position of the ratio with the most positions, the chosen one marked, and
// the learned model's verdict), the centre crop a plain cropper would give, and
// the smart crop.

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "smartcrop/crop_planner.hpp"
#include "smartcrop/image_io.hpp"

namespace smartcrop {

struct CompareOptions {
  int max_width = 2400;         // the strip is never wider than this (--compare-width)
  int max_panel_height = 480;   // panels are never taller than this
  int min_panel_height = 160;   // below this, rows wrap instead of shrinking further
};

enum class PanelKind { Original, Attention, Score, CentreCrop, SmartCrop };

struct ComparisonPanel {
  PanelKind kind = PanelKind::Original;
  int crop_index = -1;  // index into CropPlan::crops for CentreCrop/SmartCrop, else -1
  cv::Rect area;        // the panel's picture inside the strip (its label band is above it)
  std::string label;
};

struct ComparisonStrip {
  cv::Mat image;  // 8-bit BGR
  std::vector<ComparisonPanel> panels;
};

// Returns the text a person writes for `ratio`: "16:9", "4:5", "1.91".
std::string ratio_display(const AspectRatio& ratio);

// Returns the colour (BGR) that marks the index-th requested ratio: its outline
// on the photo and the swatch in its panels' labels.
cv::Scalar crop_colour(int index);

// Returns the centre crop of `box`'s size in a width x height photo: what a
// plain cropper would give for the same ratio.
Box centre_box(const Box& box, int width, int height);

// Builds the strip for `photo` (upright 8-bit BGR, the one `plan` was made from).
// All panels share one height; rows wrap only when a row would be wider than
// options.max_width at options.min_panel_height. With several ratios, the centre
// and smart panels of each ratio follow one another after the first three.
ComparisonStrip build_comparison(const cv::Mat& photo, const CropPlan& plan, const CompareOptions& options = {});

// Builds the strip and writes it atomically to `path` (.png/.jpg/.webp by
// extension). Throws smartcrop::Error naming the path.
void write_comparison(const std::string& path, const cv::Mat& photo, const CropPlan& plan,
                      const CompareOptions& options = {}, const WriteOptions& write = {});

}  // namespace smartcrop

#include "smartcrop/comparison.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <opencv2/imgproc.hpp>

#include "smartcrop/error.hpp"
#include "draw.hpp"

namespace smartcrop {

namespace {

constexpr int kMargin = 8;  // around the strip
constexpr int kGap = 8;     // between panels and rows
const cv::Scalar kBackground(24, 24, 24);

// One thing the layout places: a photo panel, or a centre+smart pair kept on one row.
struct LayoutItem {
  std::vector<double> aspects;  // one per panel in the item
  std::vector<PanelKind> kinds;
  int crop_index = -1;
};

int item_width(const LayoutItem& item, int height) {
  int width = 0;
  for (double a : item.aspects) width += std::max(1, static_cast<int>(std::lround(a * height)));
  return width + kGap * (static_cast<int>(item.aspects.size()) - 1);
}

// Chooses the shared panel height: as tall as allowed while the first row
// (photo panels + first ratio) fits in max_width, but never below the minimum
// unless a single item could not fit at all.
int choose_height(const std::vector<LayoutItem>& items, std::size_t first_row, const CompareOptions& options) {
  const int usable = std::max(16, options.max_width - 2 * kMargin);
  double row_aspect = 0.0;
  int row_gaps = 0;
  for (std::size_t i = 0; i < first_row && i < items.size(); ++i) {
    for (double a : items[i].aspects) row_aspect += a;
    row_gaps += static_cast<int>(items[i].aspects.size());
  }
  row_gaps = std::max(0, row_gaps - 1);
  int height = static_cast<int>((usable - row_gaps * kGap) / std::max(row_aspect, 1e-6));
  height = std::min(height, options.max_panel_height);
  // Panel widths are rounded one by one: step down until the row really fits.
  auto row_width = [&](int h) {
    int width = -kGap;
    for (std::size_t i = 0; i < first_row && i < items.size(); ++i) width += kGap + item_width(items[i], h);
    return width;
  };
  while (height > options.min_panel_height && row_width(height) > usable) --height;
  height = std::max(height, options.min_panel_height);
  for (const auto& item : items) {
    double aspect = 0.0;
    for (double a : item.aspects) aspect += a;
    const int gaps = (static_cast<int>(item.aspects.size()) - 1) * kGap;
    while (height > 8 && item_width(item, height) > usable) {
      height = std::min(height - 1, static_cast<int>((usable - gaps) / aspect));
    }
  }
  return std::max(height, 8);
}

std::string percent(double share) {
  char text[16];
  std::snprintf(text, sizeof text, "%.0f%%", 100.0 * share);
  return text;
}

// Panel 2's title: which map it shows, by the backend that made it.
std::vector<std::string> map_titles(const std::string& backend) {
  if (backend == "dino") return {"2 DINO attention", "2 DINO", "2"};
  if (backend == "saliency") return {"2 saliency (built-in)", "2 saliency", "2"};
  if (backend == "center") return {"2 none (center)", "2 none", "2"};
  return {"2 map", "2"};
}

// Whether `box` sits away from the centre crop of its size: more than 2% of the
// photo's side off it on either axis.
bool moved_off_centre(const Box& box, int width, int height) {
  const Box centre = centre_box(box, width, height);
  return std::abs(box.x - centre.x) > 0.02 * width || std::abs(box.y - centre.y) > 0.02 * height;
}

// The crop panel 3 explains: the one whose window had the most positions to
// choose from (the first on ties), where the choice was widest.
std::size_t explained_crop(const CropPlan& plan) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < plan.crops.size(); ++i) {
    if (plan.crops[i].window_scores.values.values.size() > plan.crops[best].window_scores.values.values.size()) best = i;
  }
  return best;
}

// Panel 3's title: what chose the explained crop's window.
std::vector<std::string> choice_titles(const CropPlan& plan) {
  if (plan.strategy == Strategy::Peak || plan.crops.empty()) return {"3 peak: blurred map", "3 peak", "3"};
  const CropChoice& crop = plan.crops[explained_crop(plan)];
  const std::string ratio = ratio_display(crop.ratio);
  const std::string name = strategy_name(plan.strategy);
  // The centre backend's map is one pixel: one position, nothing was weighed.
  if (crop.window_scores.values.values.size() == 1) {
    return {"3 " + name + ": no map, one position", "3 " + name + ": no map", "3 " + name, "3"};
  }
  if (plan.strategy == Strategy::Mass) {
    return {"3 mass: score of each " + ratio + " window", "3 mass " + ratio, "3 mass", "3"};
  }
  const std::string verdict = moved_off_centre(crop.box, plan.width, plan.height) ? "moved" : "stayed central";
  char sure[32];
  std::snprintf(sure, sizeof sure, "gate %.2f", std::max(0.0, plan.gate));
  return {"3 learned " + ratio + ": " + verdict + ", " + sure, "3 learned: " + verdict + ", " + sure,
          "3 learned: " + verdict, "3 learned", "3"};
}

}  // namespace

std::string ratio_display(const AspectRatio& ratio) {
  char text[48];
  if (ratio.height == 1.0 && std::floor(ratio.width) != ratio.width) {
    std::snprintf(text, sizeof text, "%g", ratio.width);
  } else {
    std::snprintf(text, sizeof text, "%g:%g", ratio.width, ratio.height);
  }
  return text;
}

Box centre_box(const Box& box, int width, int height) {
  return center_window_on(width / 2.0, height / 2.0, WindowSize{box.width, box.height}, width, height);
}

ComparisonStrip build_comparison(const cv::Mat& photo, const CropPlan& plan, const CompareOptions& options) {
  if (photo.empty() || photo.type() != CV_8UC3) throw Error("", "comparison needs an 8-bit BGR photo");
  if (plan.width != photo.cols || plan.height != photo.rows) {
    throw Error("", "comparison: crop plan is for a different image size");
  }
  const double photo_aspect = static_cast<double>(photo.cols) / photo.rows;
  std::vector<LayoutItem> items;
  items.push_back({{photo_aspect}, {PanelKind::Original}, -1});
  items.push_back({{photo_aspect}, {PanelKind::Attention}, -1});
  items.push_back({{photo_aspect}, {PanelKind::Score}, -1});
  for (std::size_t i = 0; i < plan.crops.size(); ++i) {
    const Box& b = plan.crops[i].box;
    const double a = static_cast<double>(std::max(1, b.width)) / std::max(1, b.height);
    items.push_back({{a, a}, {PanelKind::CentreCrop, PanelKind::SmartCrop}, static_cast<int>(i)});
  }
  const int height = choose_height(items, 4, options);
  const int band = label_band_height(height, options.max_width);
  const int usable = std::max(16, options.max_width - 2 * kMargin);

  // Flow the items into rows.
  std::vector<std::vector<std::size_t>> rows(1);
  int row_width = 0, strip_width = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const int w = item_width(items[i], height);
    const int needed = rows.back().empty() ? w : row_width + kGap + w;
    if (!rows.back().empty() && needed > usable) {
      rows.emplace_back();
      row_width = w;
    } else {
      row_width = needed;
    }
    rows.back().push_back(i);
    strip_width = std::max(strip_width, row_width);
  }
  const int row_height = band + height;
  const int strip_height = 2 * kMargin + static_cast<int>(rows.size()) * row_height +
                           (static_cast<int>(rows.size()) - 1) * kGap;

  ComparisonStrip strip;
  strip.image = cv::Mat(strip_height, strip_width + 2 * kMargin, CV_8UC3, kBackground);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    int x = kMargin;
    const int y = kMargin + static_cast<int>(r) * (row_height + kGap) + band;
    for (std::size_t i : rows[r]) {
      const LayoutItem& item = items[i];
      for (std::size_t k = 0; k < item.aspects.size(); ++k) {
        const int w = std::max(1, static_cast<int>(std::lround(item.aspects[k] * height)));
        ComparisonPanel panel;
        panel.kind = item.kinds[k];
        panel.crop_index = item.crop_index;
        panel.area = cv::Rect(x, y, w, height);
        strip.panels.push_back(panel);
        x += w + kGap;
      }
    }
  }

  const int t = outline_thickness(height);
  for (auto& panel : strip.panels) {
    cv::Mat area = strip.image(panel.area);
    const double sx = static_cast<double>(panel.area.width) / photo.cols;
    const double sy = static_cast<double>(panel.area.height) / photo.rows;
    cv::Scalar swatch(-1, -1, -1);
    std::vector<std::string> shorter;  // wordings for narrow panels, longest first
    switch (panel.kind) {
      case PanelKind::Original: {
        cv::resize(photo, area, area.size(), 0, 0, cv::INTER_AREA);
        std::vector<cv::Rect> labels;
        for (std::size_t i = 0; i < plan.crops.size(); ++i) {
          draw_crop_outline(area, plan.crops[i].box, sx, sy, t, crop_colour(static_cast<int>(i)),
                            ratio_display(plan.crops[i].ratio), labels);
        }
        // The regions that steered the crops, and the focus point.
        for (const SteerRegion& region : plan.steering.regions) {
          if (region.area.width > 0.0 && region.area.height > 0.0) {
            draw_region_outline(area, region.area.x, region.area.y, region.area.width, region.area.height, sx, sy,
                                std::max(1, t / 2));
          }
        }
        if (plan.steering.focus) draw_peak_marker(area, plan.steering.focus->x * sx, plan.steering.focus->y * sy, height);
        panel.label = "1 original " + std::to_string(photo.cols) + "x" + std::to_string(photo.rows);
        shorter = {"1 original", "1"};
        break;
      }
      case PanelKind::Attention: {
        if (plan.backend_name == "center") {
          // The centre backend has no map: a uniform heat map would pretend one.
          cv::resize(photo, area, area.size(), 0, 0, cv::INTER_AREA);
          area *= 0.45;
        } else {
          draw_heat_overlay(area, photo, plan.saliency.attention, sx, sy);
        }
        shorter = map_titles(plan.backend_name);
        panel.label = shorter.front();
        shorter.erase(shorter.begin());
        break;
      }
      case PanelKind::Score: {
        const std::size_t index = explained_crop(plan);
        const CropChoice* first = plan.crops.empty() ? nullptr : &plan.crops[index];
        if (plan.strategy == Strategy::Peak || first == nullptr || first->window_scores.values.empty()) {
          draw_score_map(area, plan.saliency.score, sx, sy);
          draw_peak_marker(area, plan.peak_x * sx, plan.peak_y * sy, height);
        } else {
          // Every position the window could take, by its centre; the chosen one marked.
          draw_window_scores(area, photo, first->window_scores, sx, sy);
          swatch = crop_colour(static_cast<int>(index));
          std::vector<cv::Rect> labels;
          draw_crop_outline(area, first->box, sx, sy, std::max(1, t / 2), crop_colour(static_cast<int>(index)), ratio_display(first->ratio),
                            labels);
          draw_peak_marker(area, (first->box.x + first->box.width / 2.0) * sx,
                           (first->box.y + first->box.height / 2.0) * sy, height);
        }
        shorter = choice_titles(plan);
        panel.label = shorter.front();
        shorter.erase(shorter.begin());
        break;
      }
      case PanelKind::CentreCrop:
      case PanelKind::SmartCrop: {
        const CropChoice& crop = plan.crops[static_cast<std::size_t>(panel.crop_index)];
        const bool smart = panel.kind == PanelKind::SmartCrop;
        const Box box = smart ? crop.box : centre_box(crop.box, photo.cols, photo.rows);
        const double share = smart ? crop.confidence : mass_inside(plan.saliency.attention, box);
        cv::resize(cut_crop(photo, box), area, area.size(), 0, 0, cv::INTER_AREA);
        const std::string ratio_share = ratio_display(crop.ratio) + " " + percent(share);
        panel.label = std::string(smart ? "5 smart " : "4 centre ") + ratio_share;
        shorter = {std::string(smart ? "smart " : "centre ") + ratio_share, ratio_share, percent(share)};
        swatch = crop_colour(panel.crop_index);
        break;
      }
    }
    shorter.insert(shorter.begin(), panel.label);
    draw_label(strip.image, cv::Rect(panel.area.x, panel.area.y - band, panel.area.width, band), shorter, swatch);
  }
  return strip;
}

void write_comparison(const std::string& path, const cv::Mat& photo, const CropPlan& plan,
                      const CompareOptions& options, const WriteOptions& write) {
  ComparisonStrip strip;
  try {
    strip = build_comparison(photo, plan, options);
  } catch (const Error& e) {
    throw Error(path, e.reason());
  } catch (const cv::Exception& e) {
    throw Error(path, std::string("cannot draw comparison: ") + e.err);
  }
  write_image_atomic(path, strip.image, write);
}

}  // namespace smartcrop

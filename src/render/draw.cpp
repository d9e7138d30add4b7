#include "draw.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace smartcrop {

namespace {

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
const cv::Scalar kDark(16, 16, 16);
const cv::Scalar kText(235, 235, 235);

// Font scale whose capital letters are about `pixels` tall.
double font_scale_for(double pixels) {
  int baseline = 0;
  const cv::Size unit = cv::getTextSize("H", kFont, 1.0, 1, &baseline);
  return pixels / std::max(1, unit.height);
}

int font_thickness(double scale) { return scale >= 0.9 ? 2 : 1; }

// Returns the map as a float image normalised so that `top` maps to 1.
cv::Mat normalised(const ScoreMap& map, bool by_percentile) {
  cv::Mat values(map.height, map.width, CV_32F);
  std::copy(map.values.begin(), map.values.end(), values.ptr<float>());
  float top = 0.0f;
  if (by_percentile) {
    // A few hot patches would otherwise wash the rest of the map to black.
    std::vector<float> sorted(map.values);
    const std::size_t k = static_cast<std::size_t>(0.995 * (sorted.size() - 1));
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(k), sorted.end());
    top = sorted[k];
  }
  if (!(top > 0.0f)) top = *std::max_element(map.values.begin(), map.values.end());
  if (top > 0.0f) values *= 1.0f / top;
  cv::min(values, 1.0f, values);
  cv::max(values, 0.0f, values);
  return values;
}

// Resizes the normalised map onto a panel-sized canvas, aligned with the photo:
// map pixel (x, y) covers panel pixels [x * scale_x * sx, (x+1) * scale_x * sx).
cv::Mat map_on_panel(const ScoreMap& map, cv::Size panel, double sx, double sy, bool by_percentile) {
  cv::Mat canvas(panel, CV_32F, cv::Scalar(0));
  if (map.empty()) return canvas;
  const int w = std::min(panel.width, static_cast<int>(std::lround(map.width * map.scale_x * sx)));
  const int h = std::min(panel.height, static_cast<int>(std::lround(map.height * map.scale_y * sy)));
  if (w <= 0 || h <= 0) return canvas;
  cv::Mat resized;
  cv::resize(normalised(map, by_percentile), resized, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
  resized.copyTo(canvas(cv::Rect(0, 0, w, h)));
  return canvas;
}

}  // namespace

int label_band_height(int panel_height, int strip_width) {
  // Strips are mostly seen shrunk to a screen's width: size labels for that too.
  return std::clamp(std::max(panel_height / 10, strip_width / 64), 22, 44);
}

int outline_thickness(int panel_height) { return std::clamp(panel_height / 120, 2, 6); }

cv::Scalar crop_colour(int index) {
  static const cv::Scalar palette[] = {
      {0, 230, 255},    // yellow
      {255, 190, 0},    // azure
      {255, 60, 255},   // magenta
      {60, 255, 60},    // green
      {0, 140, 255},    // orange
      {255, 255, 255},  // white
  };
  return palette[static_cast<std::size_t>(std::max(0, index)) % (sizeof palette / sizeof palette[0])];
}

void draw_crop_outline(cv::Mat& area, const Box& box, double sx, double sy, int thickness,
                       const cv::Scalar& colour, const std::string& label, std::vector<cv::Rect>& placed) {
  const int x0 = static_cast<int>(std::lround(box.x * sx));
  const int y0 = static_cast<int>(std::lround(box.y * sy));
  const int x1 = static_cast<int>(std::lround((box.x + box.width) * sx)) - 1;
  const int y1 = static_cast<int>(std::lround((box.y + box.height) * sy)) - 1;
  auto ring = [&](int k, const cv::Scalar& c) {
    if (x1 - k < x0 + k || y1 - k < y0 + k) return;
    cv::rectangle(area, cv::Point(x0 + k, y0 + k), cv::Point(x1 - k, y1 - k), c, 1, cv::LINE_8);
  };
  ring(-1, kDark);
  ring(thickness, kDark);
  for (int k = 0; k < thickness; ++k) ring(k, colour);

  const double scale = font_scale_for(std::clamp(area.rows / 16.0, 10.0, 24.0));
  const int weight = font_thickness(scale);
  int baseline = 0;
  const cv::Size text = cv::getTextSize(label, kFont, scale, weight, &baseline);
  const int pad = 3;
  const int tx = std::clamp(x0 + thickness + 2, 0, std::max(0, area.cols - text.width - 2 * pad));
  cv::Rect backing(tx, y0 + thickness + 2, text.width + 2 * pad, text.height + baseline + 2 * pad);
  auto overlaps = [&] {
    for (const auto& r : placed) {
      if ((r & backing).area() > 0) return true;
    }
    return false;
  };
  while (overlaps() && backing.y + 2 * backing.height < area.rows) backing.y += 2;
  backing.y = std::clamp(backing.y, 0, std::max(0, area.rows - backing.height));
  placed.push_back(backing);
  const int ty = backing.y;
  cv::rectangle(area, backing, kDark, cv::FILLED);
  cv::putText(area, label, cv::Point(tx + pad, ty + pad + text.height), kFont, scale, colour, weight, cv::LINE_AA);
}

void draw_region_outline(cv::Mat& area, double x, double y, double width, double height, double sx, double sy,
                         int thickness) {
  const int x0 = static_cast<int>(std::lround(x * sx)), y0 = static_cast<int>(std::lround(y * sy));
  const int x1 = std::max(x0 + 1, static_cast<int>(std::lround((x + width) * sx)) - 1);
  const int y1 = std::max(y0 + 1, static_cast<int>(std::lround((y + height) * sy)) - 1);
  const int dash = std::max(4, 3 * thickness);
  const cv::Point corners[] = {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}};
  for (const auto& [colour, weight] : {std::pair{kDark, thickness + 2}, std::pair{cv::Scalar(255, 255, 255), thickness}}) {
    for (int side = 0; side < 4; ++side) {
      const cv::Point a = corners[side], b = corners[(side + 1) % 4];
      const double length = std::hypot(b.x - a.x, b.y - a.y);
      for (double t = 0.0; t < length; t += 2.0 * dash) {
        const double t1 = std::min(length, t + dash);
        const cv::Point p(a.x + static_cast<int>((b.x - a.x) * t / length), a.y + static_cast<int>((b.y - a.y) * t / length));
        const cv::Point q(a.x + static_cast<int>((b.x - a.x) * t1 / length), a.y + static_cast<int>((b.y - a.y) * t1 / length));
        cv::line(area, p, q, colour, weight, cv::LINE_8);
      }
    }
  }
}

void draw_heat_overlay(cv::Mat& area, const cv::Mat& photo, const ScoreMap& map, double sx, double sy) {
  cv::Mat dim;
  cv::resize(photo, dim, area.size(), 0, 0, cv::INTER_AREA);
  cv::Mat heat = map_on_panel(map, area.size(), sx, sy, true);
  cv::Mat heat8, colours;
  heat.convertTo(heat8, CV_8U, 255.0);
  cv::applyColorMap(heat8, colours, cv::COLORMAP_JET);
  for (int y = 0; y < area.rows; ++y) {
    const cv::Vec3b* p = dim.ptr<cv::Vec3b>(y);
    const cv::Vec3b* c = colours.ptr<cv::Vec3b>(y);
    const float* v = heat.ptr<float>(y);
    cv::Vec3b* out = area.ptr<cv::Vec3b>(y);
    for (int x = 0; x < area.cols; ++x) {
      // Weak attention leaves the dimmed photo; strong attention paints over it.
      const float alpha = 0.85f * v[x];
      for (int ch = 0; ch < 3; ++ch) {
        out[x][ch] = cv::saturate_cast<uchar>((1.0f - alpha) * 0.45f * p[x][ch] + alpha * c[x][ch]);
      }
    }
  }
}

void draw_window_scores(cv::Mat& area, const cv::Mat& photo, const WindowScores& scores, double sx, double sy) {
  cv::resize(photo, area, area.size(), 0, 0, cv::INTER_AREA);
  area *= 0.45;
  const ScoreMap& map = scores.values;
  if (map.values.size() <= 1) return;  // one position: no scores to compare
  // Scores may be negative (a centre prior, the learned model): stretch min..max.
  const auto [low, high] = std::minmax_element(map.values.begin(), map.values.end());
  cv::Mat values(map.height, map.width, CV_32F);
  std::copy(map.values.begin(), map.values.end(), values.ptr<float>());
  const float span = *high - *low;
  values = span > 0.0f ? (values - *low) / span : cv::Mat(values.size(), CV_32F, cv::Scalar(1.0f));
  cv::Rect cells(static_cast<int>(std::lround(scores.origin_x * sx)), static_cast<int>(std::lround(scores.origin_y * sy)),
                 std::max(1, static_cast<int>(std::lround(map.width * map.scale_x * sx))),
                 std::max(1, static_cast<int>(std::lround(map.height * map.scale_y * sy))));
  // The largest window of a ratio spans the photo one way, so its centres lie on a
  // line: widen that line into a band a tenth of the panel across, to be seen.
  const int band_w = std::max(cells.width, area.cols / 10), band_h = std::max(cells.height, area.rows / 10);
  cells = cv::Rect(cells.x - (band_w - cells.width) / 2, cells.y - (band_h - cells.height) / 2, band_w, band_h);
  const cv::Rect inside = cells & cv::Rect(0, 0, area.cols, area.rows);
  if (inside.empty()) return;
  cv::Mat resized, heat8, colours;
  cv::resize(values, resized, cells.size(), 0, 0, cv::INTER_LINEAR);
  resized.convertTo(heat8, CV_8U, 255.0);
  cv::applyColorMap(heat8, colours, cv::COLORMAP_JET);
  const cv::Rect from(inside.x - cells.x, inside.y - cells.y, inside.width, inside.height);
  cv::addWeighted(area(inside), 0.35, colours(from), 0.65, 0.0, area(inside));
}

void draw_score_map(cv::Mat& area, const ScoreMap& map, double sx, double sy) {
  cv::Mat score = map_on_panel(map, area.size(), sx, sy, false);
  cv::Mat score8;
  score.convertTo(score8, CV_8U, 255.0);
  cv::applyColorMap(score8, area, cv::COLORMAP_INFERNO);
}

void draw_peak_marker(cv::Mat& area, double x, double y, int panel_height) {
  const cv::Point centre(static_cast<int>(std::lround(x)), static_cast<int>(std::lround(y)));
  const int r = std::max(6, panel_height / 24);
  const cv::Scalar white(255, 255, 255);
  for (const auto& [colour, weight] : {std::pair{kDark, 5}, std::pair{white, 2}}) {
    cv::circle(area, centre, r, colour, weight, cv::LINE_AA);
    cv::line(area, centre - cv::Point(2 * r, 0), centre - cv::Point(r, 0), colour, weight, cv::LINE_AA);
    cv::line(area, centre + cv::Point(r, 0), centre + cv::Point(2 * r, 0), colour, weight, cv::LINE_AA);
    cv::line(area, centre - cv::Point(0, 2 * r), centre - cv::Point(0, r), colour, weight, cv::LINE_AA);
    cv::line(area, centre + cv::Point(0, r), centre + cv::Point(0, 2 * r), colour, weight, cv::LINE_AA);
  }
}

void draw_label(cv::Mat& image, const cv::Rect& band, const std::vector<std::string>& texts,
                const cv::Scalar& swatch) {
  if (texts.empty()) return;
  int x = band.x;
  const int right = band.x + std::max(1, band.width - 6);  // keep neighbouring labels apart
  if (swatch[0] >= 0) {
    const int side = band.height * 6 / 10;
    cv::rectangle(image, cv::Rect(x, band.y + (band.height - side) / 2, side, side), swatch, cv::FILLED);
    x += side + 5;
  }
  const double full = font_scale_for(band.height * 0.55);
  int baseline = 0;
  auto width_of = [&](const std::string& t, double s) {
    return cv::getTextSize(t, kFont, s, font_thickness(s), &baseline).width;
  };
  // The longest wording that fits at a size still close to the others; else the
  // shortest, shrunk and, as a last resort, cut.
  std::string shown = texts.back();
  double scale = full;
  bool found = false;
  for (const auto& text : texts) {
    const double s = std::min(full, full * (right - x) / std::max(1, width_of(text, full)));
    if (s >= 0.75 * full) {
      shown = text;
      scale = s;
      found = true;
      break;
    }
  }
  if (!found) scale = std::max(font_scale_for(8.0), full * (right - x) / std::max(1, width_of(shown, full)));
  while (shown.size() > 1 && width_of(shown, scale) > right - x) shown.pop_back();
  const cv::Size size = cv::getTextSize(shown, kFont, scale, font_thickness(scale), &baseline);
  const int y = band.y + (band.height + size.height) / 2;
  cv::putText(image, shown, cv::Point(x, y), kFont, scale, kText, font_thickness(scale), cv::LINE_AA);
}

}  // namespace smartcrop

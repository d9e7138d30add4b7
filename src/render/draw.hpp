#pragma once
// Drawing helpers for the comparison strip (private to src/render).

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "smartcrop/comparison.hpp"
#include "smartcrop/score_map.hpp"
#include "smartcrop/window.hpp"

namespace smartcrop {

// Returns the height of the label band above a panel of `panel_height` pixels
// in a strip about `strip_width` pixels wide.
int label_band_height(int panel_height, int strip_width);

// Returns the outline thickness, in panel pixels, for a panel of `panel_height`.
int outline_thickness(int panel_height);

// Draws `box` (original pixels, scaled by sx, sy into `area`) as an outline whose
// outer edge lies on the box edge and which grows inward by `thickness`, with a
// dark 1 px halo on each side and `label` on a dark backing just inside the
// top-left corner, moved down past the labels already in `placed` (and added to it).
void draw_crop_outline(cv::Mat& area, const Box& box, double sx, double sy, int thickness,
                       const cv::Scalar& colour, const std::string& label, std::vector<cv::Rect>& placed);

// Draws a steering region (original pixels, continuous, scaled by sx, sy) as a
// dashed white outline with a dark halo, unlike the solid crop outlines.
void draw_region_outline(cv::Mat& area, double x, double y, double width, double height, double sx, double sy,
                         int thickness);

// Fills `area` with a dimmed copy of `photo` under a colour heat map of `map`
// (map pixels scaled by map.scale * (sx, sy) into the panel; uncovered parts stay dim).
void draw_heat_overlay(cv::Mat& area, const cv::Mat& photo, const ScoreMap& map, double sx, double sy);

// Fills `area` with `map` as a colour image, aligned like draw_heat_overlay.
void draw_score_map(cv::Mat& area, const ScoreMap& map, double sx, double sy);

// Fills `area` with a dimmed copy of `photo` under a heat map of `scores` (the
// score of every window position, drawn over the window centres; lowest to highest
// score as cold to hot), aligned like draw_heat_overlay.
void draw_window_scores(cv::Mat& area, const cv::Mat& photo, const WindowScores& scores, double sx, double sy);

// Marks (x, y) (panel pixels) with a ringed cross visible on any colour.
void draw_peak_marker(cv::Mat& area, double x, double y, int panel_height);

// Writes the longest of `texts` (longest first) that fits left-aligned in `band`
// of `image`, shrinking or cutting the shortest if none does; a colour square
// comes first when `swatch` is not negative.
void draw_label(cv::Mat& image, const cv::Rect& band, const std::vector<std::string>& texts,
                const cv::Scalar& swatch);

}  // namespace smartcrop

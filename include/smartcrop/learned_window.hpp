#pragma once
// The learned window: a weighted sum of a few readable features per candidate
// window, weights fitted on human crops by scripts/quality/fit_window_model.py
// (models/window_model.json), and an exact search over every allowed position.
// Plain C++ (no OpenCV, no Torch): the same formulas as the fitter, so the
// fitted weights mean here what they meant there (docs/QUALITY.md).

#include <string>
#include <vector>

#include "smartcrop/score_map.hpp"
#include "smartcrop/window.hpp"

namespace smartcrop {

// What a backend knows about a photo, at map resolution, for the window model.
struct WindowEvidence {
  std::vector<std::string> cue_names;  // e.g. "fine", "spectral", "border"
  std::vector<ScoreMap> cues;          // one per name; any non-negative scale
  ScoreMap edges;                      // edge energy (gradient magnitude); empty = none
  ScoreMap saliency;                   // the combined map; stands in for a cue the backend lacks
  double gate = 0.0;                   // how sure the map is (0..1): its concentration
};

// One term of the score. The base is the share of a cue kept, a border cut,
// or a squared centre offset; the modifier multiplies it by the gate (trust
// the content when the map is sure) or by 1 - gate (stay central when it is not).
struct WindowFeature {
  enum class Base { Share, CutEdges, CutSaliency, OffsetX2, OffsetY2 };
  enum class Modifier { None, Gate, Doubt };
  Base base = Base::Share;
  Modifier modifier = Modifier::None;
  std::string cue;  // Base::Share only
};

// Parses a feature name: "[gate*|doubt*]" then "share:CUE", "cut_edges",
// "cut_saliency", "offset_x2" or "offset_y2". Throws std::invalid_argument.
WindowFeature parse_window_feature(const std::string& name);

// How the window is picked from the scores. Argmax: the best score.
// ExpectedIou: read the scores as a softmax over positions (the fit's own
// model) and take the window with the highest expected IoU with a draw from
// it: the peak when the scores single one out, the middle of the plausible
// positions when they do not (a confidence gate with no constant of its own).
enum class WindowDecision { Argmax, ExpectedIou };

struct WindowModel {
  WindowDecision decision = WindowDecision::Argmax;
  std::vector<std::string> feature_names;
  std::vector<WindowFeature> features;  // parsed from feature_names
  std::vector<double> weights;          // score = sum of weight * feature / scale
  std::vector<double> scales;
};

// Builds a model from names, weights and scales (same length, scales > 0).
// Throws std::invalid_argument naming what is wrong.
WindowModel make_window_model(const std::vector<std::string>& names, const std::vector<double>& weights,
                              const std::vector<double>& scales);

struct LearnedWindow {
  int x = 0;  // top-left corner, map pixels
  int y = 0;
  int width = 0;  // map pixels, clamped to the map
  int height = 0;
  double score = 0.0;
  double share = 0.0;  // share of the saliency map inside the window (the confidence)
};

// Summed-area tables of one photo's evidence, built once and shared by the
// searches at every ratio (building them is most of a search's cost).
class WindowTables {
 public:
  // evidence.saliency must not be empty; the other maps must have its size.
  // Throws std::invalid_argument otherwise.
  explicit WindowTables(const WindowEvidence& evidence);
  int width() const { return width_; }
  int height() const { return height_; }
  double gate() const { return gate_; }
  // The table of the cue called `name`, or of the combined map if there is none.
  const SummedAreaTable& cue(const std::string& name) const;
  const SummedAreaTable& saliency() const { return saliency_; }
  const SummedAreaTable* edges() const { return has_edges_ ? &edges_ : nullptr; }

 private:
  int width_, height_;
  double gate_;
  std::vector<std::string> cue_names_;
  std::vector<SummedAreaTable> cues_;
  SummedAreaTable saliency_;
  SummedAreaTable edges_;
  bool has_edges_;
};

// Scores windows of one size with the model; cheap to make once the tables exist.
class WindowScorer {
 public:
  // width x height is clamped to 1..map size. Keeps references to both arguments.
  WindowScorer(const WindowTables& tables, const WindowModel& model, int width, int height);
  int width() const { return width_; }
  int height() const { return height_; }
  int positions_x() const { return map_w_ - width_ + 1; }
  int positions_y() const { return map_h_ - height_ + 1; }
  // The features (model order, unscaled) of the window with top-left (x, y).
  std::vector<double> features(int x, int y) const;
  // The model's score of that window.
  double score(int x, int y) const;
  // Share (0..1) of the saliency map inside that window.
  double saliency_share(int x, int y) const;

 private:
  double feature(std::size_t i, int x, int y) const;
  double cut(const SummedAreaTable& table, double mean, int x, int y) const;
  const WindowTables& tables_;
  const WindowModel& model_;
  double gate_;
  int map_w_, map_h_, width_, height_, band_;
  std::vector<const SummedAreaTable*> share_tables_;  // per model feature; null unless a share
  double saliency_mean_, edge_mean_;
};

// Returns the window of width x height chosen by the model among `allowed`
// positions (clamped to the map; the default range means every position): the
// highest score, or the highest expected IoU (model.decision). Ties (within
// 1e-9) go to the most central window, then the first in row-major order.
// `score` of the result is the model score either way.
LearnedWindow find_learned_window(const WindowTables& tables, const WindowModel& model, int width, int height,
                                  const PositionRange& allowed = {});
// The same, building the tables from `evidence` for this one search.
LearnedWindow find_learned_window(const WindowEvidence& evidence, const WindowModel& model, int width, int height,
                                  const PositionRange& allowed = {});

// Returns what decided find_learned_window at every position of a width x height
// window, steering aside: the model score (Argmax) or the expected IoU
// (ExpectedIou). Value (x, y) is the window with top-left (x, y), in a map of
// positions_x x positions_y with the scale of `scale_of`. For showing the choice.
ScoreMap learned_position_scores(const WindowTables& tables, const WindowModel& model, int width, int height,
                                 const ScoreMap& scale_of);

// Returns the share of `map`'s total held by its top 20% pixels, squared (0.04
// for a flat map, up to 1 when one small region holds it all; 0 for an all-zero map).
double top_share_concentration(const ScoreMap& map);

// The same for any values whose sum is `total` (the built-in backend's cues).
double top_share_concentration(std::vector<float> values, double total);

}  // namespace smartcrop

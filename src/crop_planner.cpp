#include "smartcrop/crop_planner.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "smartcrop/error.hpp"

namespace smartcrop {

namespace {

// The window in map pixels is the original window divided by the map scale;
// its centre, mapped back, places the original window (so a window as wide as
// the map stays centred however the sizes round).
struct MapWindow {
  int width = 0;  // the window's size in map pixels
  int height = 0;
  PositionRange allowed;  // its allowed top-left corners, map pixels
};

MapWindow to_map(const ScoreMap& map, WindowSize size, const PositionRange& allowed) {
  MapWindow window;
  window.width = static_cast<int>(std::lround(size.width / map.scale_x));
  window.height = static_cast<int>(std::lround(size.height / map.scale_y));
  window.allowed = map_positions(allowed, size, window.width, window.height, map.scale_x, map.scale_y);
  return window;
}

// The window found at map (x, y, w, h), placed by its centre in the original.
CropChoice from_map(const ScoreMap& map, int x, int y, int w, int h, double share, WindowSize size, int width,
                    int height) {
  CropChoice choice;
  choice.box = center_window_on((x + w / 2.0) * map.scale_x, (y + h / 2.0) * map.scale_y, size, width, height);
  choice.confidence = share;
  return choice;
}

// Where value (0, 0) of a window's position scores is drawn: its centre less half a map pixel.
WindowScores window_scores(ScoreMap values, const ScoreMap& map, int w, int h) {
  WindowScores scores;
  scores.values = std::move(values);
  scores.origin_x = (std::clamp(w, 1, map.width) / 2.0 - 0.5) * map.scale_x;
  scores.origin_y = (std::clamp(h, 1, map.height) / 2.0 - 0.5) * map.scale_y;
  return scores;
}

CropChoice mass_choice(const ScoreMap& score, WindowSize size, int width, int height, const MassWindowParams& params,
                       const PositionRange& allowed, bool keep_scores) {
  const MapWindow window = to_map(score, size, allowed);
  const MassWindow found = find_mass_window(score, window.width, window.height, params, window.allowed);
  CropChoice choice = from_map(score, found.x, found.y, found.width, found.height, found.share, size, width, height);
  if (keep_scores) {
    choice.window_scores = window_scores(mass_position_scores(score, window.width, window.height, params), score,
                                         window.width, window.height);
  }
  return choice;
}

// The tables of the learned window for one photo, built once for all its ratios.
// A backend without its own evidence (DINO, centre) lends its attention map as
// every content cue; it has no edge map, so the border-cut terms on edges are 0.
WindowTables learned_tables(const SaliencyResult& saliency) {
  if (!saliency.evidence.saliency.empty()) return WindowTables(saliency.evidence);
  WindowEvidence evidence;
  evidence.saliency = saliency.attention;
  evidence.gate = top_share_concentration(saliency.attention);
  return WindowTables(evidence);
}

// The same window geometry as mass_choice, chosen by the learned model.
CropChoice learned_choice(const WindowTables& tables, const ScoreMap& map, WindowSize size, int width, int height,
                          const WindowModel& model, const PositionRange& allowed, bool keep_scores) {
  const MapWindow window = to_map(map, size, allowed);
  const LearnedWindow found = find_learned_window(tables, model, window.width, window.height, window.allowed);
  CropChoice choice = from_map(map, found.x, found.y, found.width, found.height, found.share, size, width, height);
  if (keep_scores) {
    choice.window_scores = window_scores(learned_position_scores(tables, model, window.width, window.height, map), map,
                                         window.width, window.height);
  }
  return choice;
}

}  // namespace

std::string strategy_name(Strategy strategy) {
  switch (strategy) {
    case Strategy::Peak: return "peak";
    case Strategy::Mass: return "mass";
    case Strategy::Learned: return "learned";
    case Strategy::Auto: break;
  }
  return "auto";
}

Strategy resolve_strategy(Strategy requested, const std::string& backend_name) {
  if (requested != Strategy::Auto) return requested;
  if (backend_name == "dino") return Strategy::Peak;
  return backend_name == "saliency" ? Strategy::Learned : Strategy::Mass;
}

CropPlan plan_crops(SaliencyResult saliency, int width, int height, const CropParams& params,
                    const Steering& steering) {
  CropPlan plan;
  plan.steering = steering;
  plan.width = width;
  plan.height = height;
  plan.saliency = std::move(saliency);
  plan.strategy = params.strategy == Strategy::Auto ? Strategy::Peak : params.strategy;
  plan.backend_name = params.backend_name;
  const ScoreMap& score = plan.saliency.score;
  if (score.empty()) throw Error("", "empty saliency map");
  const MapPeak peak = find_peak(score);
  plan.peak_x = (peak.x + 0.5) * score.scale_x;
  plan.peak_y = (peak.y + 0.5) * score.scale_y;
  std::optional<WindowTables> tables;
  if (params.strategy == Strategy::Learned) {
    if (!params.window_model) throw Error("", "learned strategy without a window model");
    tables.emplace(learned_tables(plan.saliency));
    plan.gate = tables->gate();
  }
  for (const auto& ratio : params.ratios) {
    CropChoice choice;
    choice.ratio = ratio;
    const WindowSize size = largest_window(width, height, ratio.value());
    const SteeredWindow steer = steer_window(steering, size, width, height);
    if (params.strategy == Strategy::Mass) {
      choice = mass_choice(score, size, width, height, params.mass, steer.allowed, params.window_scores);
      choice.ratio = ratio;
      choice.box = steer.allowed.clamp(choice.box);
      if (steering.active()) choice.confidence = mass_inside(score, choice.box);
    } else if (params.strategy == Strategy::Learned) {
      choice = learned_choice(*tables, plan.saliency.attention, size, width, height, *params.window_model,
                              steer.allowed, params.window_scores);
      choice.ratio = ratio;
      choice.box = steer.allowed.clamp(choice.box);
    } else {
      choice.box = steer.allowed.clamp(center_window_on(plan.peak_x, plan.peak_y, size, width, height));
      choice.confidence = mass_inside(plan.saliency.attention, choice.box);
    }
    choice.steer = steer;
    choice.steer.kept = keep_regions_inside(steering, choice.box);
    plan.crops.push_back(choice);
  }
  return plan;
}

cv::Mat cut_crop(const cv::Mat& image, const Box& box) {
  return image(cv::Rect(box.x, box.y, box.width, box.height)).clone();
}

}  // namespace smartcrop

#include "smartcrop/learned_window.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <stdexcept>

namespace smartcrop {

namespace {

constexpr double kTie = 1e-9;
constexpr double kTopShare = 0.2;  // the same concentration as the built-in backend's cues

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// For each position (row-major over a range `cols` wide), the expected IoU of
// its window with one drawn from softmax(scores); all windows are w x h.
std::vector<double> expected_iou(const std::vector<double>& scores, int cols, double top, int w, int h) {
  const std::size_t n = scores.size();
  std::vector<double> p(n);
  double total = 0.0;
  for (std::size_t k = 0; k < n; ++k) total += p[k] = std::exp(scores[k] - top);
  for (double& v : p) v /= total;
  const double area = static_cast<double>(w) * h;
  std::vector<double> expected(n, 0.0);
  for (std::size_t j = 0; j < n; ++j) {
    const long long xj = static_cast<long long>(j) % cols, yj = static_cast<long long>(j) / cols;
    double sum = 0.0;
    for (std::size_t k = 0; k < n; ++k) {
      if (p[k] == 0.0) continue;
      const long long dx = std::llabs(xj - static_cast<long long>(k) % cols);
      const long long dy = std::llabs(yj - static_cast<long long>(k) / cols);
      const double inter = static_cast<double>(std::max(0LL, w - dx)) * static_cast<double>(std::max(0LL, h - dy));
      sum += inter / (2.0 * area - inter) * p[k];
    }
    expected[j] = sum;
  }
  return expected;
}

}  // namespace

WindowFeature parse_window_feature(const std::string& name) {
  WindowFeature f;
  std::string rest = name;
  if (starts_with(rest, "gate*")) {
    f.modifier = WindowFeature::Modifier::Gate;
    rest = rest.substr(5);
  } else if (starts_with(rest, "doubt*")) {
    f.modifier = WindowFeature::Modifier::Doubt;
    rest = rest.substr(6);
  }
  if (starts_with(rest, "share:") && rest.size() > 6) {
    f.base = WindowFeature::Base::Share;
    f.cue = rest.substr(6);
  } else if (rest == "cut_edges") {
    f.base = WindowFeature::Base::CutEdges;
  } else if (rest == "cut_saliency") {
    f.base = WindowFeature::Base::CutSaliency;
  } else if (rest == "offset_x2") {
    f.base = WindowFeature::Base::OffsetX2;
  } else if (rest == "offset_y2") {
    f.base = WindowFeature::Base::OffsetY2;
  } else {
    throw std::invalid_argument("unknown window feature '" + name +
                                "' (expected [gate*|doubt*]share:CUE, cut_edges, cut_saliency, offset_x2, offset_y2)");
  }
  return f;
}

WindowModel make_window_model(const std::vector<std::string>& names, const std::vector<double>& weights,
                              const std::vector<double>& scales) {
  if (names.empty() || names.size() != weights.size() || names.size() != scales.size()) {
    throw std::invalid_argument("window model needs as many weights and scales as features (and at least one)");
  }
  WindowModel model;
  model.feature_names = names;
  model.weights = weights;
  model.scales = scales;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!(scales[i] > 0.0)) throw std::invalid_argument("window model: scale of '" + names[i] + "' must be > 0");
    model.features.push_back(parse_window_feature(names[i]));
  }
  return model;
}

namespace {
// A 1 x 1 stand-in for an absent map, so every table member is valid.
const ScoreMap& map_or_dot(const ScoreMap& map) {
  static const ScoreMap dot(1, 1);
  return map.empty() ? dot : map;
}
}  // namespace

WindowTables::WindowTables(const WindowEvidence& evidence)
    : width_(evidence.saliency.width),
      height_(evidence.saliency.height),
      gate_(std::clamp(evidence.gate, 0.0, 1.0)),
      cue_names_(evidence.cue_names),
      saliency_(map_or_dot(evidence.saliency)),
      edges_(map_or_dot(evidence.edges)),
      has_edges_(!evidence.edges.empty()) {
  if (evidence.saliency.empty()) throw std::invalid_argument("window evidence without a saliency map");
  if (evidence.cues.size() != evidence.cue_names.size()) throw std::invalid_argument("one name per cue needed");
  for (const ScoreMap& cue : evidence.cues) {
    if (cue.width != width_ || cue.height != height_) throw std::invalid_argument("a cue map has another size");
    cues_.emplace_back(cue);
  }
  if (has_edges_ && (evidence.edges.width != width_ || evidence.edges.height != height_)) {
    throw std::invalid_argument("edge map has another size");
  }
}

const SummedAreaTable& WindowTables::cue(const std::string& name) const {
  for (std::size_t c = 0; c < cue_names_.size(); ++c)
    if (cue_names_[c] == name) return cues_[c];
  return saliency_;  // a cue the backend lacks (DINO has no OpenCV cues) is its combined map
}

WindowScorer::WindowScorer(const WindowTables& tables, const WindowModel& model, int width, int height)
    : tables_(tables),
      model_(model),
      gate_(tables.gate()),
      map_w_(tables.width()),
      map_h_(tables.height()),
      width_(std::clamp(width, 1, tables.width())),
      height_(std::clamp(height, 1, tables.height())),
      band_(std::max(1, (std::min(width_, height_) + 16) / 32)) {
  const double area = static_cast<double>(map_w_) * map_h_;
  saliency_mean_ = tables.saliency().total() / area;
  edge_mean_ = tables.edges() != nullptr ? tables.edges()->total() / area : 0.0;
  for (const WindowFeature& f : model.features) {
    share_tables_.push_back(f.base == WindowFeature::Base::Share ? &tables.cue(f.cue) : nullptr);
  }
}

// Mean density of the bands just inside those of the window's borders that lie
// inside the photo (a border on the photo's edge cuts nothing), in units of the
// map's mean: 1 on a flat map wherever the window is; 0 if no border is inside.
double WindowScorer::cut(const SummedAreaTable& table, double mean, int x, int y) const {
  if (!(mean > 0.0)) return 0.0;
  const int bx = std::min(band_, width_), by = std::min(band_, height_);
  const double side = static_cast<double>(bx) * height_, top = static_cast<double>(width_) * by;
  double sum = 0.0;
  int borders = 0;
  auto add = [&](bool inside, double band_sum, double area) {
    if (!inside) return;
    sum += band_sum / area;
    ++borders;
  };
  add(x > 0, table.sum(x, y, x + bx, y + height_), side);
  add(x + width_ < map_w_, table.sum(x + width_ - bx, y, x + width_, y + height_), side);
  add(y > 0, table.sum(x, y, x + width_, y + by), top);
  add(y + height_ < map_h_, table.sum(x, y + height_ - by, x + width_, y + height_), top);
  return borders > 0 ? sum / (borders * mean) : 0.0;
}

double WindowScorer::feature(std::size_t i, int x, int y) const {
  const WindowFeature& f = model_.features[i];
  double value = 0.0;
  switch (f.base) {
    case WindowFeature::Base::Share: {
      const SummedAreaTable& table = *share_tables_[i];
      const double total = table.total();
      value = total > 0.0 ? table.sum(x, y, x + width_, y + height_) / total : 0.0;
      break;
    }
    case WindowFeature::Base::CutEdges:
      value = tables_.edges() != nullptr ? cut(*tables_.edges(), edge_mean_, x, y) : 0.0;
      break;
    case WindowFeature::Base::CutSaliency:
      value = cut(tables_.saliency(), saliency_mean_, x, y);
      break;
    case WindowFeature::Base::OffsetX2: {
      const double fx = (2.0 * x - (positions_x() - 1)) * 0.5 / map_w_;
      value = fx * fx;
      break;
    }
    case WindowFeature::Base::OffsetY2: {
      const double fy = (2.0 * y - (positions_y() - 1)) * 0.5 / map_h_;
      value = fy * fy;
      break;
    }
  }
  if (f.modifier == WindowFeature::Modifier::Gate) value *= gate_;
  if (f.modifier == WindowFeature::Modifier::Doubt) value *= 1.0 - gate_;
  return value;
}

std::vector<double> WindowScorer::features(int x, int y) const {
  std::vector<double> out(model_.features.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = feature(i, x, y);
  return out;
}

double WindowScorer::score(int x, int y) const {
  double s = 0.0;
  for (std::size_t i = 0; i < model_.features.size(); ++i) s += model_.weights[i] * feature(i, x, y) / model_.scales[i];
  return s;
}

double WindowScorer::saliency_share(int x, int y) const {
  const SummedAreaTable& table = tables_.saliency();
  const double total = table.total();
  return total > 0.0 ? std::clamp(table.sum(x, y, x + width_, y + height_) / total, 0.0, 1.0) : 0.0;
}

LearnedWindow find_learned_window(const WindowEvidence& evidence, const WindowModel& model, int width, int height,
                                  const PositionRange& allowed) {
  return find_learned_window(WindowTables(evidence), model, width, height, allowed);
}

LearnedWindow find_learned_window(const WindowTables& tables, const WindowModel& model, int width, int height,
                                  const PositionRange& allowed) {
  const WindowScorer scorer(tables, model, width, height);
  const int nx = scorer.positions_x(), ny = scorer.positions_y();
  const int x0 = std::clamp(allowed.x_min, 0, nx - 1), y0 = std::clamp(allowed.y_min, 0, ny - 1);
  const int x1 = allowed.x_max < 0 ? nx - 1 : std::clamp(allowed.x_max, x0, nx - 1);
  const int y1 = allowed.y_max < 0 ? ny - 1 : std::clamp(allowed.y_max, y0, ny - 1);
  std::vector<double> scores;
  scores.reserve(static_cast<std::size_t>(x1 - x0 + 1) * (y1 - y0 + 1));
  double top = -1e300;
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) {
      scores.push_back(scorer.score(x, y));
      top = std::max(top, scores.back());
    }
  const int cols = x1 - x0 + 1;
  std::vector<double> choice = scores;
  if (model.decision == WindowDecision::ExpectedIou) choice = expected_iou(scores, cols, top, scorer.width(), scorer.height());
  top = *std::max_element(choice.begin(), choice.end());
  // The tie rule does not depend on the scan order: the most central among the
  // windows within kTie of the best, then the first in row-major order.
  LearnedWindow best{x0, y0, scorer.width(), scorer.height(), 0.0, 0.0};
  long long best_dist = -1;
  std::size_t k = 0;
  for (int y = y0; y <= y1; ++y) {
    const long long dy = 2LL * y - (ny - 1);
    for (int x = x0; x <= x1; ++x, ++k) {
      const long long dx = 2LL * x - (nx - 1);
      const long long dist = dx * dx + dy * dy;
      if (choice[k] < top - kTie || (best_dist >= 0 && dist >= best_dist)) continue;
      best_dist = dist;
      best.x = x;
      best.y = y;
      best.score = scores[k];
    }
  }
  best.share = scorer.saliency_share(best.x, best.y);
  return best;
}

ScoreMap learned_position_scores(const WindowTables& tables, const WindowModel& model, int width, int height,
                                 const ScoreMap& scale_of) {
  const WindowScorer scorer(tables, model, width, height);
  const int nx = scorer.positions_x(), ny = scorer.positions_y();
  std::vector<double> scores;
  scores.reserve(static_cast<std::size_t>(nx) * ny);
  double top = -1e300;
  for (int y = 0; y < ny; ++y)
    for (int x = 0; x < nx; ++x) {
      scores.push_back(scorer.score(x, y));
      top = std::max(top, scores.back());
    }
  if (model.decision == WindowDecision::ExpectedIou) scores = expected_iou(scores, nx, top, scorer.width(), scorer.height());
  ScoreMap map(nx, ny, scale_of.scale_x, scale_of.scale_y);
  for (std::size_t k = 0; k < scores.size(); ++k) map.values[k] = static_cast<float>(scores[k]);
  return map;
}

double top_share_concentration(const ScoreMap& map) {
  return top_share_concentration(std::vector<float>(map.values), map.total());
}

double top_share_concentration(std::vector<float> values, double total) {
  if (values.empty() || !(total > 0.0)) return 0.0;
  const auto top = static_cast<std::ptrdiff_t>(std::max<std::size_t>(1, static_cast<std::size_t>(values.size() * kTopShare)));
  std::nth_element(values.begin(), values.begin() + top - 1, values.end(), std::greater<float>());
  double top_sum = 0.0;
  for (auto it = values.begin(); it != values.begin() + top; ++it) top_sum += *it;
  const double share = top_sum / total;
  return share * share;
}

}  // namespace smartcrop

#include "smartcrop/learned_window.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

using namespace smartcrop;

namespace {

// Evidence with one map used for everything (cue, edges, combined).
WindowEvidence single_map_evidence(const ScoreMap& map, double gate) {
  WindowEvidence ev;
  ev.cue_names = {"fine"};
  ev.cues = {map};
  ev.edges = map;
  ev.saliency = map;
  ev.gate = gate;
  return ev;
}

WindowModel full_model(double share, double cut_edges, double cut_saliency, double off_x, double off_y) {
  return make_window_model({"share:fine", "cut_edges", "cut_saliency", "doubt*offset_x2", "offset_y2"},
                           {share, cut_edges, cut_saliency, off_x, off_y}, {0.1, 0.5, 0.5, 0.01, 0.01});
}

double direct_sum(const ScoreMap& m, int x0, int y0, int x1, int y1) {
  double s = 0.0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) s += m.at(x, y);
  return s;
}

// The definition, spelt out with direct sums: share of the cue, mean density of
// the border bands inside the photo (band = (min side + 16) / 32) over the map's mean, and
// the squared centre offsets; then the weighted sum.
double brute_score(const WindowEvidence& ev, const WindowModel& model, int w, int h, int x, int y) {
  const ScoreMap& m = ev.cues[0];
  const int nx = m.width - w + 1, ny = m.height - h + 1;
  const int b = std::min({std::max(1, (std::min(w, h) + 16) / 32), w, h});
  const double mean = direct_sum(m, 0, 0, m.width, m.height) / (m.width * m.height);
  double bands = 0.0;
  int borders = 0;
  if (x > 0) bands += direct_sum(m, x, y, x + b, y + h) / (b * h), ++borders;
  if (x + w < m.width) bands += direct_sum(m, x + w - b, y, x + w, y + h) / (b * h), ++borders;
  if (y > 0) bands += direct_sum(m, x, y, x + w, y + b) / (w * b), ++borders;
  if (y + h < m.height) bands += direct_sum(m, x, y + h - b, x + w, y + h) / (w * b), ++borders;
  const double cut = borders > 0 ? bands / (borders * mean) : 0.0;
  const double fx = (x - (nx - 1) / 2.0) / m.width, fy = (y - (ny - 1) / 2.0) / m.height;
  const double values[] = {direct_sum(m, x, y, x + w, y + h) / direct_sum(m, 0, 0, m.width, m.height), cut, cut,
                           (1.0 - ev.gate) * fx * fx, fy * fy};
  double s = 0.0;
  for (int i = 0; i < 5; ++i) s += model.weights[i] * values[i] / model.scales[i];
  return s;
}

}  // namespace

TEST(LearnedWindow, BorderThroughABrightBarScoresLower) {
  // A bright horizontal bar, rows 20-29 of a 60 x 60 map; 60 x 30 windows slide vertically.
  ScoreMap map(60, 60);
  for (int y = 0; y < 60; ++y)
    for (int x = 0; x < 60; ++x) map.at(x, y) = (y >= 20 && y < 30) ? 10.0f : 1.0f;
  const WindowEvidence ev = single_map_evidence(map, 0.5);
  for (const char* cut : {"cut_edges", "cut_saliency"}) {
    const WindowTables tables(ev);
    const WindowModel model = make_window_model({cut}, {-1.0}, {1.0});
    const WindowScorer scorer(tables, model, 60, 30);
    const double through = scorer.score(0, 25);  // top border in the middle of the bar
    const double clear = scorer.score(0, 15);     // bar inside, borders on the plain background
    EXPECT_LT(through, clear) << cut;
  }
}

TEST(LearnedWindow, FlatMapGivesTheCentreWindow) {
  ScoreMap map(80, 50);
  std::fill(map.values.begin(), map.values.end(), 3.0f);
  const LearnedWindow found = find_learned_window(single_map_evidence(map, 0.04), full_model(1, -1, -1, -1, -1), 40, 50);
  EXPECT_EQ(found.x, 20);
  EXPECT_EQ(found.y, 0);
  // Even when the placement terms reward moving, a flat map gives no reason to: all tie.
  const LearnedWindow untaught = find_learned_window(single_map_evidence(map, 0.04), full_model(1, -1, -1, 0, 0), 40, 50);
  EXPECT_EQ(untaught.x, 20);
  EXPECT_NEAR(untaught.share, 0.5, 1e-9);
}

TEST(LearnedWindow, ExactSearchEqualsBruteForce) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> value(0.0f, 1.0f);
  std::uniform_real_distribution<double> weight(-2.0, 2.0);
  for (int trial = 0; trial < 40; ++trial) {
    ScoreMap map(7 + trial % 11, 5 + trial % 7);
    for (float& v : map.values) v = value(rng) * value(rng) * 4.0f;
    const WindowEvidence ev = single_map_evidence(map, value(rng));
    const WindowModel model = full_model(weight(rng), weight(rng), weight(rng), weight(rng), weight(rng));
    const int w = 1 + trial % map.width, h = 1 + (trial * 3) % map.height;
    const int nx = map.width - w + 1, ny = map.height - h + 1;
    const WindowTables tables(ev);
    const WindowScorer scorer(tables, model, w, h);
    double top = -1e300;
    for (int y = 0; y < ny; ++y)
      for (int x = 0; x < nx; ++x) {
        ASSERT_NEAR(scorer.score(x, y), brute_score(ev, model, w, h, x, y), 1e-9) << trial;
        top = std::max(top, brute_score(ev, model, w, h, x, y));
      }
    const LearnedWindow found = find_learned_window(ev, model, w, h);
    EXPECT_NEAR(found.score, top, 1e-9) << "trial " << trial;
    EXPECT_GE(brute_score(ev, model, w, h, found.x, found.y), top - 1e-9);
  }
}

TEST(LearnedWindow, AllowedRangeLimitsTheSearch) {
  ScoreMap map(40, 10);
  for (int x = 0; x < 10; ++x)
    for (int y = 0; y < 10; ++y) map.at(x, y) = 5.0f;  // all the content on the left
  const WindowEvidence ev = single_map_evidence(map, 0.9);
  const WindowModel model = make_window_model({"share:fine"}, {1.0}, {1.0});
  EXPECT_EQ(find_learned_window(ev, model, 10, 10).x, 0);
  PositionRange right_half;
  right_half.x_min = 20;
  const LearnedWindow kept = find_learned_window(ev, model, 10, 10, right_half);
  EXPECT_GE(kept.x, 20);
}

TEST(LearnedWindow, MissingCueFallsBackToTheCombinedMap) {
  ScoreMap map(30, 10);
  for (int y = 0; y < 10; ++y) map.at(25, y) = 1.0f;
  WindowEvidence ev;
  ev.saliency = map;  // what a DINO plan lends: no cues, no edges
  const WindowModel model = make_window_model({"share:spectral", "cut_edges"}, {1.0, -1.0}, {1.0, 1.0});
  EXPECT_GE(find_learned_window(ev, model, 10, 10).x, 16);
}

TEST(LearnedWindow, BadFeatureNamesAreRefused) {
  EXPECT_THROW(parse_window_feature("share:"), std::invalid_argument);
  EXPECT_THROW(parse_window_feature("offset_z2"), std::invalid_argument);
  EXPECT_THROW(make_window_model({"cut_edges"}, {1.0}, {0.0}), std::invalid_argument);
  EXPECT_THROW(make_window_model({"cut_edges"}, {1.0, 2.0}, {1.0}), std::invalid_argument);
  EXPECT_EQ(parse_window_feature("gate*share:border").modifier, WindowFeature::Modifier::Gate);
}

TEST(LearnedWindow, ConcentrationOfFlatAndPeakedMaps) {
  ScoreMap flat(10, 10);
  std::fill(flat.values.begin(), flat.values.end(), 1.0f);
  EXPECT_NEAR(top_share_concentration(flat), 0.04, 1e-9);
  ScoreMap peak(10, 10);
  peak.at(3, 3) = 1.0f;
  EXPECT_NEAR(top_share_concentration(peak), 1.0, 1e-9);
  EXPECT_EQ(top_share_concentration(ScoreMap(4, 4)), 0.0);
}

TEST(LearnedWindow, ExpectedIouMovesLessWhenTheEvidenceIsWeak) {
  // A faint left-to-right gradient: the argmax runs to the far edge; the
  // expected-IoU decision, with plausible positions spread out, stops short.
  ScoreMap faint(100, 20);
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 100; ++x) faint.at(x, y) = 1.0f + 0.01f * x;
  WindowModel model = make_window_model({"share:fine"}, {1.0}, {0.05});
  EXPECT_EQ(find_learned_window(single_map_evidence(faint, 0.5), model, 40, 20).x, 60);
  model.decision = WindowDecision::ExpectedIou;
  const int moved = find_learned_window(single_map_evidence(faint, 0.5), model, 40, 20).x;
  EXPECT_GT(moved, 30);
  EXPECT_LT(moved, 56);
  // A clear subject at the left end: both decisions go to it.
  ScoreMap one(100, 20);
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 8; ++x) one.at(x, y) = 1.0f;
  EXPECT_EQ(find_learned_window(single_map_evidence(one, 0.5), model, 40, 20).x, 0);
}

TEST(LearnedWindow, ExpectedIouEqualsItsDefinition) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> value(0.0f, 1.0f);
  for (int trial = 0; trial < 20; ++trial) {
    ScoreMap map(9 + trial % 9, 6 + trial % 5);
    for (float& v : map.values) v = value(rng) * value(rng);
    const WindowEvidence ev = single_map_evidence(map, value(rng));
    WindowModel model = full_model(3.0, -1.0, -0.5, -0.2, -0.2);
    model.decision = WindowDecision::ExpectedIou;
    const int w = 2 + trial % (map.width - 2), h = 1 + trial % map.height;
    const int nx = map.width - w + 1, ny = map.height - h + 1;
    std::vector<double> p;
    double top = -1e300, total = 0.0;
    for (int y = 0; y < ny; ++y)
      for (int x = 0; x < nx; ++x) top = std::max(top, brute_score(ev, model, w, h, x, y));
    for (int y = 0; y < ny; ++y)
      for (int x = 0; x < nx; ++x) total += p.emplace_back(std::exp(brute_score(ev, model, w, h, x, y) - top));
    double best = -1.0;
    std::vector<double> expected;
    for (int j = 0; j < nx * ny; ++j) {
      double e = 0.0;
      for (int k = 0; k < nx * ny; ++k) {
        const double iw = std::max(0, w - std::abs(j % nx - k % nx)), ih = std::max(0, h - std::abs(j / nx - k / nx));
        e += iw * ih / (2.0 * w * h - iw * ih) * p[k] / total;
      }
      expected.push_back(e);
      best = std::max(best, e);
    }
    const LearnedWindow found = find_learned_window(ev, model, w, h);
    EXPECT_NEAR(expected[static_cast<std::size_t>(found.y * nx + found.x)], best, 1e-9) << "trial " << trial;
  }
}

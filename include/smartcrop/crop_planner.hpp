#pragma once
// From a photo and a saliency backend to crop boxes at the requested ratios.

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "smartcrop/backend.hpp"
#include "smartcrop/learned_window.hpp"
#include "smartcrop/mass_window.hpp"
#include "smartcrop/ratio.hpp"
#include "smartcrop/steering.hpp"
#include "smartcrop/window.hpp"

namespace smartcrop {

// Peak: centre the window on the blurred map's maximum (the prototype).
// Mass: the window that keeps the most of the blurred map (docs/QUALITY.md).
// Learned: the best window under the model fitted on human crops
// (models/window_model.json, docs/QUALITY.md).
// Auto: resolve_strategy() picks per backend; plan_crops treats it as Peak.
enum class Strategy { Peak, Mass, Learned, Auto };

// Returns `requested` unless it is Auto; Auto is Learned for the built-in
// "saliency" backend (the model was fitted on its cues), Peak for "dino" (the
// prototype's crops: the model was never fitted on DINO's attention) and Mass
// for "center".
Strategy resolve_strategy(Strategy requested, const std::string& backend_name);

// Returns "peak", "mass", "learned" or "auto".
std::string strategy_name(Strategy strategy);

struct CropParams {
  std::vector<AspectRatio> ratios;
  Strategy strategy = Strategy::Peak;
  MassWindowParams mass;  // used by Strategy::Mass
  std::shared_ptr<const WindowModel> window_model;  // used by Strategy::Learned; required for it
  std::string backend_name;    // the backend that made the maps ("dino", "saliency", "center"), for the strip
  bool window_scores = false;  // keep every window position's score (CropChoice::window_scores) for the strip
};

// What chose a window among its positions (mass, learned): the value of every
// top-left position, drawn over the window's centre.
struct WindowScores {
  ScoreMap values;        // value (x, y): the window with top-left map pixel (x, y); empty if not kept
  double origin_x = 0.0;  // original pixels where the square of value (0, 0) starts: the first
  double origin_y = 0.0;  // window's centre less half a map pixel
};

struct CropChoice {
  AspectRatio ratio;
  Box box;                  // original pixels
  double confidence = 0.0;  // share of saliency inside the box (peak, learned: attention map, mass: score map)
  SteeredWindow steer;      // the positions steering allowed; kept = keep-regions inside the box
  WindowScores window_scores;  // mass, learned, when CropParams::window_scores
};

struct CropPlan {
  int width = 0;   // original image size
  int height = 0;
  SaliencyResult saliency;
  double peak_x = 0.0;  // blurred peak, original pixels
  double peak_y = 0.0;
  std::vector<CropChoice> crops;  // one per requested ratio, in order
  Steering steering;              // what steered the crops ("auto": nothing)
  Strategy strategy = Strategy::Peak;  // the strategy that placed the windows (never Auto)
  std::string backend_name;            // CropParams::backend_name
  double gate = -1.0;                  // learned: how sure the map is (0..1), the model's gate; else -1
};

// Chooses one crop box per ratio from the saliency already computed for a
// width x height photo, among the positions `steering` allows (steer_window).
CropPlan plan_crops(SaliencyResult saliency, int width, int height, const CropParams& params,
                    const Steering& steering = {});

// Returns the pixels of `box` cut from `image` (a copy).
cv::Mat cut_crop(const cv::Mat& image, const Box& box);

}  // namespace smartcrop

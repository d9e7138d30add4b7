#include "smartcrop/backend_factory.hpp"

#include <cstdlib>
#include <filesystem>

#include "dino_plugin.hpp"
#include "install_layout.hpp"
#include "plugin_library.hpp"
#include "smartcrop/error.hpp"

namespace fs = std::filesystem;

namespace smartcrop {

namespace {

class CenterBackend final : public SaliencyBackend {
 public:
  std::string name() const override { return "center"; }
  std::string description() const override { return "centre crop"; }
  SaliencyResult compute(const cv::Mat& bgr, const std::string&) override {
    // One map pixel covering the whole photo: its centre is the photo's centre.
    SaliencyResult result;
    result.attention = ScoreMap(1, 1, bgr.cols, bgr.rows);
    result.attention.values[0] = 1.0f;
    result.score = result.attention;
    return result;
  }
  std::unique_ptr<SaliencyBackend> fork() const override { return std::make_unique<CenterBackend>(); }
};

bool is_named(const ModelPlace& place) { return place.name == "--model" || place.name == "$SMARTCROP_MODEL"; }

// "A, B and C".
std::string listing(const std::vector<std::string>& items) {
  std::string text;
  for (size_t i = 0; i < items.size(); ++i) {
    text += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i];
  }
  return text;
}

// How to get a model here: the model command of an installed DINO plugin, the package
// that brings both when the plugin is not installed, the exporter in a build tree.
std::string get_a_model() {
  std::error_code ec;
  if (!build_has_dino()) return "this build has no DINO support (-DSMARTCROP_WITH_DINO=OFF)";
  if (build_source_tree().empty() && !fs::exists(dino_plugin_path(), ec)) {
    return "the DINO backend and its model command smartcrop-model come with the package smartcrop-dino";
  }
  return model_advice();
}

// "no DINO model found (looked for A and B; get one with: smartcrop-model fetch)".
std::string no_model_found(const ModelLocation& model) {
  std::string text = model.searched.size() == 1 ? "no DINO model at " + model.searched[0]
                                                : "no DINO model found (looked for " + listing(model.searched) + ")";
  return text + "; " + get_a_model();
}

}  // namespace

ModelLocation resolve_model_path(const std::string& requested) {
  ModelLocation location;
  const std::vector<ModelPlace> places = model_places(requested);
  int chosen = -1;
  for (size_t i = 0; i < places.size(); ++i) {
    const ModelPlace& place = places[i];
    std::error_code ec;
    const bool found = !place.path.empty() && fs::exists(place.path, ec);
    if (!is_named(place) && !place.path.empty()) location.searched.push_back(place.path);
    // A named file is used whether it is there or not: a mistyped --model is an error.
    if (chosen < 0 && !place.path.empty() && (found || is_named(place))) {
      chosen = static_cast<int>(i);
      location.path = place.path;
      location.given_by = is_named(place) ? place.name : "";
      location.found_in = place.name;
    }
    std::string line = std::to_string(i + 1) + ". " + place.name + ": ";
    if (place.path.empty()) {
      line += place.name == "--model" ? "not given" : place.name == "$SMARTCROP_MODEL" ? "not set" : "no home folder";
    } else {
      line += place.path + (found ? ": found" : ": not found");
      if (chosen == static_cast<int>(i)) line += " <- used";
    }
    location.lookup.push_back(line);
  }
  return location;
}

std::unique_ptr<SaliencyBackend> make_center_backend() { return std::make_unique<CenterBackend>(); }

namespace {

// Loads the DINO model through the plugin; an error about the model says who named
// the file, so a mistyped --model is recognisable as such.
std::unique_ptr<SaliencyBackend> load_dino(const ModelLocation& model, const SaliencyParams& params) {
  try {
    return dino_plugin().make_backend(model.path, params);
  } catch (const Error& e) {
    if (model.given_by.empty() || e.path() != model.path) throw;
    throw Error(e.path(), e.reason() + " (given by " + model.given_by + ")");
  }
}

}  // namespace

BackendChoice make_backend(BackendKind kind, const ModelLocation& model, const SaliencyParams& params) {
  BackendChoice choice;
  switch (kind) {
    case BackendKind::Center:
      choice.backend = make_center_backend();
      return choice;
    case BackendKind::Saliency:
      choice.backend = make_builtin_saliency_backend(params);
      return choice;
    case BackendKind::Dino:
      if (model.path.empty()) {
        dino_plugin();  // a missing plugin is the first thing to fix
        throw Error("", no_model_found(model));
      }
      choice.backend = load_dino(model, params);
      return choice;
    case BackendKind::Auto: {
      std::error_code ec;
      const bool named = !model.given_by.empty();
      const bool found = !model.path.empty() && fs::exists(model.path, ec);
      if (!named && !build_has_dino() && found) {
        choice.fallback_reason = "this build has no DINO support (-DSMARTCROP_WITH_DINO=OFF): model " + model.path +
                                 " not used; using the built-in saliency";
        choice.backend = make_builtin_saliency_backend(params);
      } else if (named || found) {
        choice.backend = load_dino(model, params);
      } else {
        choice.fallback_reason = no_model_found(model) +
                                 "; using the built-in saliency (--backend saliency says so and silences this)";
        choice.backend = make_builtin_saliency_backend(params);
      }
      return choice;
    }
  }
  throw Error("", "unknown backend");
}

std::string auto_backend_plan(const ModelLocation& model) {
  std::error_code ec;
  const bool found = !model.path.empty() && fs::exists(model.path, ec);
  const std::string where = model.path + " (" + model.found_in + ")";
  if (found && build_has_dino()) return "DINO attention, from the model " + where;
  if (!model.given_by.empty() && (!found || !build_has_dino())) {
    return "nothing: it must load the model " + where + ", and " +
           (found ? "this build has no DINO support" : "there is no such file");
  }
  if (found) return "the built-in saliency: this build has no DINO support, so the model " + where + " is unused";
  if (!build_has_dino()) return "the built-in saliency: this build has no DINO support (-DSMARTCROP_WITH_DINO=OFF)";
  return "the built-in saliency: no DINO model found (" + get_a_model() + "; -v lists where it looks)";
}

BackendChoice make_backend(BackendKind kind, const std::string& model_path, const SaliencyParams& params) {
  ModelLocation model;
  model.path = model_path;
  model.found_in = "default";
  model.searched = {model_path};
  return make_backend(kind, model, params);
}

}  // namespace smartcrop

#include "smartcrop/backend_factory.hpp"

#include <cstdlib>
#include <filesystem>

#include "dino_plugin.hpp"
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

constexpr const char* kDefaultModel = "models/dino_vits16.pt";

}  // namespace

ModelLocation resolve_model_path(const std::string& requested) {
  if (!requested.empty()) return {requested, "--model"};
  if (const char* env = std::getenv("SMARTCROP_MODEL"); env != nullptr && *env != '\0') {
    return {env, "$SMARTCROP_MODEL"};
  }
  const fs::path candidates[] = {fs::path(SMARTCROP_SOURCE_DIR) / kDefaultModel,
                                 fs::path(installed_data_dir()) / kDefaultModel,
                                 fs::path(SMARTCROP_INSTALL_DATADIR) / kDefaultModel};
  for (const auto& candidate : candidates) {
    std::error_code ec;
    if (fs::exists(candidate, ec)) return {candidate.string(), ""};
  }
  // Named in the warning: the source tree's file in a build, the installed one in a package.
  std::error_code ec;
  return {(fs::exists(SMARTCROP_SOURCE_DIR, ec) ? candidates[0] : candidates[1]).string(), ""};
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
      choice.backend = load_dino(model, params);
      return choice;
    case BackendKind::Auto: {
      std::error_code ec;
      const bool named = !model.given_by.empty();
      if (!named && !build_has_dino() && fs::exists(model.path, ec)) {
        choice.fallback_reason = "this build has no DINO support (-DSMARTCROP_WITH_DINO=OFF): model " + model.path +
                                 " not used; using the built-in saliency";
        choice.backend = make_builtin_saliency_backend(params);
      } else if (named || fs::exists(model.path, ec)) {
        choice.backend = load_dino(model, params);
      } else {
        choice.fallback_reason = "no DINO model at " + model.path +
                                 " (get one with /usr/bin/python3 scripts/export_model.py); using the built-in saliency "
                                 "(--backend saliency says so and silences this)";
        choice.backend = make_builtin_saliency_backend(params);
      }
      return choice;
    }
  }
  throw Error("", "unknown backend");
}

std::string auto_backend_plan(const ModelLocation& model) {
  std::error_code ec;
  const bool found = fs::exists(model.path, ec);
  const std::string where = model.given_by.empty() ? model.path : model.path + " (" + model.given_by + ")";
  if (found && build_has_dino()) return "DINO attention, from the model " + where;
  if (!model.given_by.empty() && (!found || !build_has_dino())) {
    return "nothing: it must load the model " + where + ", and " +
           (found ? "this build has no DINO support" : "there is no such file");
  }
  if (found) return "the built-in saliency: this build has no DINO support, so the model " + where + " is unused";
  return "the built-in saliency: no DINO model at " + where + " (scripts/export_model.py makes one)";
}

BackendChoice make_backend(BackendKind kind, const std::string& model_path, const SaliencyParams& params) {
  return make_backend(kind, ModelLocation{model_path, ""}, params);
}

}  // namespace smartcrop

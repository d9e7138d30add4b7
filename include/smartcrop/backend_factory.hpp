#pragma once
// Choosing and building a saliency backend from the user's settings.

#include <memory>
#include <string>
#include <vector>

#include "smartcrop/backend.hpp"

namespace smartcrop {

enum class BackendKind { Auto, Dino, Saliency, Center };

struct BackendChoice {
  std::unique_ptr<SaliencyBackend> backend;
  std::string fallback_reason;  // non-empty when auto fell back from DINO: why
};

// Where the model file is, who asked for it, and where smartcrop looked.
struct ModelLocation {
  std::string path;      // the model to load; "" when no place of the lookup has one
  std::string given_by;  // "--model", "$SMARTCROP_MODEL", or "" for a file found in a folder
  std::string found_in;  // the place of the lookup it came from: "per-user folder", "--model", ...
  // The lookup, one line per place in the order tried, with what was found there:
  // "3. per-user folder: /home/a/.local/share/smartcrop/models/dino_vits16.pt: found <- used".
  std::vector<std::string> lookup;
  std::vector<std::string> searched;  // the folders' files that were tried, for messages
};

// Returns the model to use: `requested` (--model) if non-empty, else $SMARTCROP_MODEL,
// else the first dino_vits16.pt that exists in the per-user folder, the system folder
// and (a build tree only) the source tree's models/ (src/install_layout.hpp).
ModelLocation resolve_model_path(const std::string& requested);

// Builds the backend. Auto: DINO if the model file exists, else the built-in
// saliency (with fallback_reason set) - but only for the default path: a model the
// user named (--model, $SMARTCROP_MODEL) must load, as with Dino. DINO comes from
// the plugin libsmartcrop_dino.so, opened here on first use. Throws
// smartcrop::Error naming the model path, who gave it and how to get a model; or
// the plugin when it is missing or broken, or that this build has no DINO support.
BackendChoice make_backend(BackendKind kind, const ModelLocation& model, const SaliencyParams& params);

// Says, without loading anything, what --backend auto runs with `model` and why:
// "DINO attention, from the model ..." or "the built-in saliency: no DINO model at ...".
std::string auto_backend_plan(const ModelLocation& model);

// The same with `model_path` taken as the default location (auto may fall back).
BackendChoice make_backend(BackendKind kind, const std::string& model_path, const SaliencyParams& params);

// A backend that always places the window in the centre: the baseline.
std::unique_ptr<SaliencyBackend> make_center_backend();

}  // namespace smartcrop

namespace smartcrop {
// The built-in, model-free saliency backend (OpenCV): see src/saliency/builtin_saliency.cpp.
std::unique_ptr<SaliencyBackend> make_builtin_saliency_backend(const SaliencyParams& params);
}  // namespace smartcrop

#pragma once
// Choosing and building a saliency backend from the user's settings.

#include <memory>
#include <string>

#include "smartcrop/backend.hpp"

namespace smartcrop {

enum class BackendKind { Auto, Dino, Saliency, Center };

struct BackendChoice {
  std::unique_ptr<SaliencyBackend> backend;
  std::string fallback_reason;  // non-empty when auto fell back from DINO: why
};

// Returns the model path to use: `requested` if non-empty, else $SMARTCROP_MODEL,
// else models/dino_vits16.pt in the source tree or the install prefix.
std::string resolve_model_path(const std::string& requested);

// Builds the backend. Auto: DINO if the model file exists, else the built-in
// saliency (with fallback_reason set). Dino: the model must load. DINO comes from
// the plugin libsmartcrop_dino.so, opened here on first use. Throws
// smartcrop::Error naming the model path when it cannot load, or the plugin when
// that is missing or broken or this build has no DINO support.
BackendChoice make_backend(BackendKind kind, const std::string& model_path, const SaliencyParams& params);

// A backend that always places the window in the centre: the baseline.
std::unique_ptr<SaliencyBackend> make_center_backend();

}  // namespace smartcrop

namespace smartcrop {
// The built-in, model-free saliency backend (OpenCV): see src/saliency/builtin_saliency.cpp.
std::unique_ptr<SaliencyBackend> make_builtin_saliency_backend(const SaliencyParams& params);
}  // namespace smartcrop

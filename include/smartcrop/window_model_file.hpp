#pragma once
// Finding and reading the fitted window model (models/window_model.json).

#include <string>

#include "smartcrop/learned_window.hpp"

namespace smartcrop {

// Returns the window model path to use: `requested` if non-empty, else
// $SMARTCROP_WINDOW_MODEL, else models/window_model.json in the source tree (a build
// tree) or in the installation's share/smartcrop/ (an installed engine).
std::string resolve_window_model_path(const std::string& requested);

// Reads a window model file (JSON: "features", "weights", "scales"; the rest is
// provenance). Throws smartcrop::Error naming the file and what is wrong.
WindowModel load_window_model(const std::string& path);

}  // namespace smartcrop

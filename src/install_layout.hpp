#pragma once
// Where this smartcrop runs from, and so where it looks for the DINO model and what it
// tells a user to run. A build tree holds the marker file smartcrop_source_dir.txt beside
// its executables (CMake writes it; it is never installed), naming the source tree; an
// installed engine has none, so it knows no path of the machine that built it.
// scripts/model_lookup.py implements the same lookup for the model command.

#include <string>
#include <vector>

namespace smartcrop {

// The model file smartcrop loads by default, in each folder of the lookup.
inline constexpr const char* kDefaultModelFile = "dino_vits16.pt";
// The system-wide model folder: `smartcrop-model fetch --system` writes there. No
// package owns it, so a model there outlives upgrades and purges.
inline constexpr const char* kSystemModelDir = "/var/lib/smartcrop/models";

// Returns the source tree of the build tree this executable runs in (read once from
// the marker beside it), or "" for an installed executable.
const std::string& build_source_tree();

// Returns the per-user model folder: $XDG_DATA_HOME/smartcrop/models when that is an
// absolute path, else ~/.local/share/smartcrop/models (the home from $HOME, else the
// password database); "" when there is no home at all.
std::string user_model_dir();

// One place of the model lookup, in the order they are tried.
struct ModelPlace {
  std::string name;  // "--model", "$SMARTCROP_MODEL", "per-user folder", "system folder", "source tree"
  std::string path;  // the file; "" for --model not given or $SMARTCROP_MODEL not set
};

// The lookup: `requested` (--model), $SMARTCROP_MODEL, the per-user folder, the system
// folder and, only in a build tree, the source tree's models/. Paths are not checked.
std::vector<ModelPlace> model_places(const std::string& requested);

// What makes a model on this machine, for messages: "get one with: smartcrop-model fetch"
// when installed, "make one with: /usr/bin/python3 scripts/export_model.py" in a build tree.
std::string model_advice();

}  // namespace smartcrop

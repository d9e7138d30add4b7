#pragma once
// Shared libraries the engine opens on demand (dlopen), kept out of its start-up:
// the DINO backend (LibTorch) and OpenCV's imgcodecs (GDAL, GDCM, OpenEXR, ...).

#include <string>

namespace smartcrop {

// Returns the path of the plugin `file` beside the running executable (the build
// tree and `cmake --install` both put plugins there).
std::string plugin_path(const std::string& file);

// Returns smartcrop's data folder relative to the running engine, which lives in
// PREFIX/libexec/smartcrop/: PREFIX/share/smartcrop, whatever prefix the build was
// configured for (a Debian package installs a build made for /usr/local under /usr).
std::string installed_data_dir();

// Opens the plugin `file` (once per process; it stays loaded) and returns the
// address of its function `entry`. Throws smartcrop::Error naming the plugin's
// path, why it cannot be used and `fix` (what to install), in one line.
void* open_plugin_entry(const std::string& file, const char* entry, const std::string& fix);

}  // namespace smartcrop

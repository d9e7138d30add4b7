// Opens libsmartcrop_dino.so on demand. The rest of the engine sees a DinoPlugin
// and SaliencyBackends, never the library.
#include <mutex>

#include "dino_plugin.hpp"
#include "install_layout.hpp"
#include "plugin_library.hpp"
#include "smartcrop/error.hpp"

namespace smartcrop {

namespace {

#if SMARTCROP_WITH_DINO

const DinoPlugin& open_dino_plugin() {
  // An installed engine names the package that holds the plugin first.
  const std::string reinstall =
      std::string(build_source_tree().empty() ? "install the package smartcrop-dino, or " : "") +
      "reinstall smartcrop from a build with DINO (the default, -DSMARTCROP_WITH_DINO=ON: cmake --install build "
      "puts the plugin beside smartcrop-engine), or use --backend saliency";
  std::string fix = reinstall;
  try {
    auto entry = reinterpret_cast<DinoPluginEntry>(open_plugin_entry(kDinoPluginFile, kDinoPluginEntry, reinstall));
    if (const DinoPlugin* plugin = entry(kDinoPluginInterface)) return *plugin;
    throw Error(dino_plugin_path(), std::string("the DINO plugin is from another smartcrop version (engine wants \"") +
                                        kDinoPluginInterface + "\"); " + reinstall);
  } catch (const Error& e) {
    // LibTorch itself missing: say which package brings it.
    if (e.reason().find("cannot open shared object file") == std::string::npos) throw;
    throw Error(e.path(), e.reason().substr(0, e.reason().find("); ") + 3) +
                              "it needs LibTorch 1.13: apt-get install libtorch-dev (scripts/deps.sh)");
  }
}

#endif

}  // namespace

bool build_has_dino() { return SMARTCROP_WITH_DINO != 0; }

std::string dino_plugin_path() { return plugin_path(kDinoPluginFile); }

const DinoPlugin& dino_plugin() {
#if SMARTCROP_WITH_DINO
  // Opened once; a failure is thrown again to every caller (nothing retries it).
  static std::once_flag once;
  static const DinoPlugin* plugin = nullptr;
  static std::string failure_path, failure_reason;
  std::call_once(once, [] {
    try {
      plugin = &open_dino_plugin();
    } catch (const Error& e) {
      failure_path = e.path();
      failure_reason = e.reason();
    }
  });
  if (plugin == nullptr) throw Error(failure_path, failure_reason);
  return *plugin;
#else
  throw Error("", "this build has no DINO support (configured with -DSMARTCROP_WITH_DINO=OFF): use --backend "
                  "saliency or center, or rebuild with -DSMARTCROP_WITH_DINO=ON");
#endif
}

}  // namespace smartcrop

// Opens libsmartcrop_dino.so on demand. Only this file knows the plugin is a
// shared library; the rest of the engine sees a DinoPlugin and SaliencyBackends.
#include "dino_plugin.hpp"

#include <dlfcn.h>

#include <chrono>
#include <filesystem>
#include <mutex>

#include <spdlog/spdlog.h>

#include "smartcrop/error.hpp"

namespace fs = std::filesystem;

namespace smartcrop {

namespace {

#if SMARTCROP_WITH_DINO

constexpr const char* kReinstall =
    "reinstall smartcrop from a build with DINO (the default, -DSMARTCROP_WITH_DINO=ON: cmake --install build "
    "puts the plugin beside smartcrop-engine), or use --backend saliency";

// dlerror()'s text without the plugin's own path (the error names it already) and
// cut to one line.
std::string loader_reason(const std::string& path) {
  const char* text = dlerror();
  std::string reason = text != nullptr ? text : "unknown dynamic loader error";
  if (reason.rfind(path + ": ", 0) == 0) reason = reason.substr(path.size() + 2);
  return reason.substr(0, reason.find('\n'));
}

const DinoPlugin& open_plugin() {
  const std::string path = dino_plugin_path();
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(path, std::string("DINO plugin not found; ") + kReinstall);
  const auto start = std::chrono::steady_clock::now();
  // RTLD_NOW: a missing LibTorch symbol fails here, with its name, not mid-run.
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const std::string reason = loader_reason(path);
    const bool lib_missing = reason.find("cannot open shared object file") != std::string::npos;
    throw Error(path, "cannot load the DINO plugin (" + reason + "); " +
                          (lib_missing ? "it needs LibTorch 1.13: apt-get install libtorch-dev (scripts/deps.sh)"
                                       : kReinstall));
  }
  auto entry = reinterpret_cast<DinoPluginEntry>(dlsym(library, kDinoPluginEntry));
  if (entry == nullptr) {
    throw Error(path, std::string("not a smartcrop DINO plugin (no ") + kDinoPluginEntry + "); " + kReinstall);
  }
  const DinoPlugin* plugin = entry(kDinoPluginInterface);
  if (plugin == nullptr) {
    throw Error(path, std::string("the DINO plugin is from another smartcrop version (engine wants \"") +
                          kDinoPluginInterface + "\"); " + kReinstall);
  }
  // The plugin stays loaded for the life of the process: backends and the
  // tensor allocator it installs live in it.
  spdlog::debug("loaded DINO plugin {} in {:.0f} ms", path,
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  return *plugin;
}

#endif

}  // namespace

bool build_has_dino() { return SMARTCROP_WITH_DINO != 0; }

std::string dino_plugin_path() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ((ec ? fs::path(".") : self.parent_path()) / kDinoPluginFile).string();
}

const DinoPlugin& dino_plugin() {
#if SMARTCROP_WITH_DINO
  // Opened once; a failure is thrown again to every caller (nothing retries it).
  static std::once_flag once;
  static const DinoPlugin* plugin = nullptr;
  static std::string failure_path, failure_reason;
  std::call_once(once, [] {
    try {
      plugin = &open_plugin();
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

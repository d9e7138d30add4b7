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

// "libcudnn.so.9" from the loader's "libcudnn.so.9: cannot open shared object file: No
// such file or directory"; "" for any other failure.
std::string missing_library(const std::string& reason) {
  const std::string marker = ": cannot open shared object file";
  const std::size_t end = reason.find(marker);
  if (end == std::string::npos) return {};
  const std::size_t start = reason.find_last_of("( ", end);
  return reason.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1));
}

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

// What installs `library`. A CUDA LibTorch (pip's, Debian 13's libtorch-cuda) needs cuDNN
// and the CUDA runtime libraries at load, even for --device cpu (docs/PERFORMANCE.md,
// "Building against a CUDA LibTorch").
std::string what_brings(const std::string& library) {
  if (starts_with(library, "libcudnn")) {
    return "install cuDNN (Debian: the non-free package nvidia-cudnn, which downloads it from NVIDIA; or NVIDIA's "
           "cuDNN packages), or use a DINO plugin built against a CPU LibTorch";
  }
  if (starts_with(library, "libcuda.so")) {
    return "install the NVIDIA driver (Debian: nvidia-driver, non-free), or use a DINO plugin built against a CPU "
           "LibTorch";
  }
  for (const char* cuda : {"libcudart", "libcublas", "libcufft", "libcurand", "libcusparse", "libcusolver", "libnvrtc",
                           "libnvToolsExt", "libnvJitLink", "libnccl", "libcupti", "libcufile", "libnvshmem"}) {
    if (starts_with(library, cuda)) {
      return "install the CUDA libraries of the LibTorch the plugin was built against (Debian 13: what "
             "libtorch-cuda-2.6 depends on, from contrib and non-free; pip: torch's nvidia-* wheels), or use a DINO "
             "plugin built against a CPU LibTorch";
    }
  }
  if (starts_with(library, "libtorch") || starts_with(library, "libc10")) {
    return "install LibTorch: apt-get install libtorch-dev (scripts/deps.sh), or the LibTorch the plugin was built "
           "against";
  }
  return "install the package that provides it (apt-file search " + library + ")";
}

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
    // A library the plugin needs is missing: name it and what brings it.
    const std::string library = missing_library(e.reason());
    if (library.empty()) throw;
    throw Error(e.path(), "cannot load the plugin: " + library + " is missing (needed by the plugin or by the "
                              "LibTorch it was built against); " + what_brings(library) +
                              "; --backend saliency needs no plugin");
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

#pragma once
// The boundary between the engine and libsmartcrop_dino.so, the DINO backend with
// everything that needs LibTorch. The engine links no Torch library: loading
// LibTorch's ~290 shared libraries took four fifths of a model-free run
// (docs/PERFORMANCE.md, "Start-up"), so the plugin is opened with dlopen only when
// the DINO backend is chosen. It exports one C function, kDinoPluginEntry, which
// returns the plugin's DinoPlugin. Both sides are built from the same sources:
// the interface text below must match, or the engine refuses the plugin.

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "smartcrop/backend.hpp"

namespace smartcrop {

// Changes whenever anything crossing the boundary changes (these types,
// SaliencyBackend, SaliencyParams, Error, HeadAttention).
// 2: SaliencyResult gained cpu_seconds (issue 12 speed work).
// 3: SaliencyParams gained device and batch_size, SaliencyBackend batch_size() and
//    done_computing(), Precision Fp16, ForwardBenchResult batch_size and device (issue 20).
// 4: SaliencyBackend take_warnings(), Precision Tf32, fp16/bf16 mixed on a GPU (issue 25).
constexpr const char* kDinoPluginInterface = "smartcrop dino plugin 4";
constexpr const char* kDinoPluginFile = "libsmartcrop_dino.so";
constexpr const char* kDinoPluginEntry = "smartcrop_dino_plugin";

struct ForwardBenchResult {
  int forwards = 0;                  // model forwards run (each of up to batch_size photos)
  int photos = 0;                    // photos through them
  double seconds_per_forward = 0.0;  // model.forward() only: no decode, resize, maps or writing
  double seconds = 0.0;              // all the forwards together (photos / seconds = photos per second)
  int batch_size = 1;
  std::string device;                // "cpu", "cuda:0"
};

class DinoPlugin {
 public:
  // Loads the TorchScript model at `model_path` and returns the DINO backend, with
  // Torch's intra-op threads set to params.threads on the calling thread. Throws
  // smartcrop::Error naming the model when it cannot be loaded.
  virtual std::unique_ptr<SaliencyBackend> make_backend(const std::string& model_path,
                                                        const SaliencyParams& params) const = 0;

  // For the hidden --bench-forward: loads the model on params.device, prepares each
  // photo's input at params.input_size (untimed, inputs already on the device) and
  // times `repeats` bare forwards of them, params.batch_size photos of one shape at a time.
  virtual ForwardBenchResult bench_forward(const std::string& model_path, const SaliencyParams& params,
                                           const std::vector<cv::Mat>& photos, int repeats) const = 0;

 protected:
  ~DinoPlugin() = default;  // the plugin owns it, for the life of the process
};

// The plugin's one exported function (named kDinoPluginEntry): returns its
// DinoPlugin if `interface` equals the plugin's own kDinoPluginInterface, else null.
using DinoPluginEntry = const DinoPlugin* (*)(const char* interface);

// Returns where the engine looks for the plugin: beside its own executable (the
// build tree and `cmake --install` both put it there).
std::string dino_plugin_path();

// Returns the DINO plugin, opening it on the first call (only that call costs).
// Throws smartcrop::Error naming the plugin file and what to install when it is
// missing, cannot be loaded or does not match, and, in a build configured with
// -DSMARTCROP_WITH_DINO=OFF, an error saying the build has no DINO support.
const DinoPlugin& dino_plugin();

// True if this build has the DINO backend (SMARTCROP_WITH_DINO).
bool build_has_dino();

}  // namespace smartcrop

#pragma once
// The DINO ViT TorchScript model: loading it once and running it on photos.
// Torch stays behind this header: nothing outside src/model/ includes torch, and
// src/model/ is built into the plugin libsmartcrop_dino.so only.

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "smartcrop/error.hpp"
#include "smartcrop/head_attention.hpp"
#include "smartcrop/precision.hpp"

namespace smartcrop {

struct ModelInfo {
  std::string path;
  std::string architecture;    // e.g. "vit_small/16"
  std::string weights_source;  // "official:<file> sha256:<hex>" or "random seed=<n>"
  bool random_weights = true;
  int heads = 0;
  int patch_size = 16;
  double load_ms = 0.0;
  std::int64_t file_bytes = 0;
  Precision precision = Precision::Fp32;  // what forward() runs in (never Auto)
  std::string optimizations;              // export-time savings in the file, e.g. "fold_scale,cls_only_last_block"
  std::string cpu_kernels;                // Torch's own kernels in use: "AVX512", "AVX2", ...
  std::string device = "cpu";             // where the model runs: "cpu", "cuda:0", ...
  std::string device_choice;              // one line: which device and why (--device auto says it)
  std::string target;                     // what the file is shaped for: "cpu", "gpu" or "" (unknown)
  std::vector<std::string> warnings;      // one line each, for the log: a file shaped for the other device,
                                          // a GPU --device auto could not use
};

// How a photo travels to the model. Floats: normalised float32, prepared on the worker
// (the CPU). Bytes: the resized 8-bit RGB pixels, a quarter of the bytes, normalised on
// the device with the same float operations in the same order, so the same values
// (tests/dino/input_bytes_test.cpp).
enum class InputFormat { Floats, Bytes };

// A resized photo ready for the model.
struct ModelInput {
  cv::Mat chw;            // Floats: float32, 3 x height x width, RGB, ImageNet mean/std
  cv::Mat rgb;            // Bytes: 8-bit RGB, height x width x 3, not normalised
  int width = 0;          // trimmed to a multiple of the patch size
  int height = 0;
  int resized_width = 0;  // before trimming: the photo scaled to short side input_size
  int resized_height = 0;
};

// Resizes `bgr` so its short side is `input_size` (INTER_AREA down, INTER_CUBIC up),
// converts to RGB and trims the right and bottom edges to multiples of `patch_size`;
// for Floats also normalises with ImageNet mean/std. Throws smartcrop::Error if the
// result would be smaller than one patch.
ModelInput prepare_model_input(const cv::Mat& bgr, int input_size, int patch_size,
                               InputFormat format = InputFormat::Floats);

// ImageNet's mean and standard deviation per RGB channel, and the 8-bit scale: the
// normalisation is (v * kPixelScale - mean) / std in float32, on the CPU and the GPU.
extern const float kImageNetMean[3];
extern const float kImageNetStd[3];
constexpr float kPixelScale = static_cast<float>(1.0 / 255.0);

// A forward that ran out of memory (a GPU's, or an allocation refused): the batcher
// splits the batch and tries again (forward_batcher.hpp).
class ModelOutOfMemory : public Error {
 public:
  using Error::Error;
};

// A batch handed to the model: on a GPU still running when submit() returns.
class PendingBatch {
 public:
  virtual ~PendingBatch() = default;
  // Waits for the batch and returns its attentions in input order. Throws
  // smartcrop::Error (ModelOutOfMemory when memory ran out) if the forward failed.
  virtual std::vector<HeadAttention> wait() = 0;
};

class AttentionModel {
 public:
  // Loads the TorchScript file at `path`, to run in `precision`
  // (Auto: bf16 where the CPU has it natively). Throws smartcrop::Error naming the
  // path, with how to get a model when the file is missing.
  // `device`: "cpu", "cuda", "cuda:N" or "auto" (CUDA when this LibTorch has it and
  // sees a GPU it can use, else the CPU with a warning saying why). On a GPU, bf16 and
  // fp16 are mixed precision as on the CPU (torch_device.hpp, gpu_precision). Throws
  // smartcrop::Error (empty path) saying why when CUDA is asked for and cannot be had.
  static std::unique_ptr<AttentionModel> load(const std::string& path, Precision precision = Precision::Fp32,
                                              const std::string& device = "cpu");
  virtual ~AttentionModel() = default;

  virtual const ModelInfo& info() const = 0;
  // The format prepare_model_input should give this model's inputs.
  virtual InputFormat input_format() const { return InputFormat::Floats; }

  // Starts one forward of the model on `inputs` (one shape: a batch) and returns the
  // batch, whose wait() gives the last block's CLS attention per head, in float32
  // whatever the precision. On the CPU the forward has run when it returns; on a GPU it
  // returns once the inputs are on their way and the forward is queued (the caller can
  // prepare the next batch meanwhile). Safe to call from several threads at once.
  // Throws smartcrop::Error if the shapes differ, ModelOutOfMemory when memory ran out.
  virtual std::unique_ptr<PendingBatch> submit(const std::vector<const ModelInput*>& inputs) = 0;

  // submit(inputs)->wait().
  std::vector<HeadAttention> forward_batch(const std::vector<const ModelInput*>& inputs) {
    return submit(inputs)->wait();
  }
  HeadAttention forward(const ModelInput& input) { return std::move(forward_batch({&input}).front()); }

  // Gives memory the device's allocator keeps for reuse back to the system (a GPU's
  // cache, after running out of memory). Does nothing on the CPU.
  virtual void release_cached_memory() {}

  // Warning lines since the last call (a half-precision batch run again in fp32).
  virtual std::vector<std::string> take_warnings() { return {}; }
};

// Sets Torch's intra-op thread count for the calling thread, and the default for
// threads that have not used Torch yet; threads <= 0 means all available cores.
// Returns the count in use.
int set_torch_threads(int threads);

// Returns true if the BLAS library loaded in this process is the slow reference
// BLAS (Debian's default without OpenBLAS). Logs nothing.
bool using_reference_blas();

}  // namespace smartcrop

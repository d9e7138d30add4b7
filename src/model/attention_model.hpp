#pragma once
// The DINO ViT TorchScript model: loading it once and running it on photos.
// Torch stays behind this header: nothing outside src/model/ includes torch, and
// src/model/ is built into the plugin libsmartcrop_dino.so only.

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

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
};

// A resized, normalised photo ready for the model.
struct ModelInput {
  cv::Mat chw;            // float32, 3 x height x width, RGB, ImageNet mean/std
  int width = 0;          // trimmed to a multiple of the patch size
  int height = 0;
  int resized_width = 0;  // before trimming: the photo scaled to short side input_size
  int resized_height = 0;
};

// Resizes `bgr` so its short side is `input_size` (INTER_AREA down, INTER_CUBIC up),
// converts to RGB, normalises with ImageNet mean/std and trims the right and bottom
// edges to multiples of `patch_size`. Throws smartcrop::Error if the result would be
// smaller than one patch.
ModelInput prepare_model_input(const cv::Mat& bgr, int input_size, int patch_size);

class AttentionModel {
 public:
  // Loads the TorchScript file at `path`, to run in `precision`
  // (Auto: bf16 where the CPU has it natively). Throws smartcrop::Error naming the
  // path, with how to get a model when the file is missing.
  // `device`: "cpu", "cuda", "cuda:N" or "auto" (CUDA when this LibTorch has it and
  // sees a GPU, else the CPU). On a GPU the weights are cast once to bf16 (fp16 where
  // the GPU has no bf16) unless precision is Fp32. Throws smartcrop::Error (empty
  // path) saying why when CUDA is asked for and cannot be had.
  static std::unique_ptr<AttentionModel> load(const std::string& path, Precision precision = Precision::Fp32,
                                              const std::string& device = "cpu");
  virtual ~AttentionModel() = default;

  virtual const ModelInfo& info() const = 0;
  // Runs the model and returns the last block's CLS attention per head, in float32
  // whatever the precision. Safe to call from several threads at once.
  virtual HeadAttention forward(const ModelInput& input) = 0;
  // The same for several inputs of one shape, in one forward of the model (a batch);
  // returns their attentions in order. Throws smartcrop::Error if the shapes differ.
  virtual std::vector<HeadAttention> forward_batch(const std::vector<const ModelInput*>& inputs) = 0;
};

// Sets Torch's intra-op thread count for the calling thread, and the default for
// threads that have not used Torch yet; threads <= 0 means all available cores.
// Returns the count in use.
int set_torch_threads(int threads);

// Returns true if the BLAS library loaded in this process is the slow reference
// BLAS (Debian's default without OpenBLAS). Logs nothing.
bool using_reference_blas();

}  // namespace smartcrop

#pragma once
// Saliency backends: something that turns a photo into a score map.

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "smartcrop/head_attention.hpp"
#include "smartcrop/learned_window.hpp"
#include "smartcrop/precision.hpp"
#include "smartcrop/score_map.hpp"

namespace smartcrop {

struct SaliencyParams {
  int input_size = 480;         // short side the photo is scaled to before analysis
  double head_threshold = 0.3;  // DINO: per-head top-mass share; 0 = sum raw attention
  int blur_px = 30;             // box blur window, in pixels of a 480 px short side
  Precision precision = Precision::Auto;  // DINO: bf16 where the CPU has it natively
  int threads = 0;              // DINO: inference threads at load (0 = all available cores)
  std::string device = "auto";  // DINO: auto (CUDA if this LibTorch has it and sees a GPU), cpu, cuda, cuda:N
  int batch_size = 0;           // DINO: photos of one input shape per forward (0: 32 on a GPU, 1 on the CPU)
};

// What to tell the user once a backend is ready.
struct BackendReport {
  std::string info;                   // one line: what was loaded, from where, in how long
  std::vector<std::string> notes;     // more lines for the log: e.g. which device --device auto chose
  std::vector<std::string> warnings;  // what makes its crops untrustworthy or slow
};

struct SaliencyResult {
  ScoreMap attention;  // unblurred combined map, for display and the confidence figure
  ScoreMap score;      // blurred map the window is chosen from (same geometry)
  // The separate cues and an edge map, for the learned window; a backend that
  // leaves it empty gets one built from `attention` (crop_planner.cpp).
  WindowEvidence evidence;
  double seconds = 0.0;
  // CPU time of the calling thread for the same work, which other threads sharing
  // the core do not inflate; OpenCV's parallel loops count only when they run on
  // this thread (one CPU in the affinity mask). -1: not measured (DINO: Torch's threads).
  double cpu_seconds = -1.0;
};

class SaliencyBackend {
 public:
  virtual ~SaliencyBackend() = default;
  // Short name for logs and JSON: "dino", "saliency", "center".
  virtual std::string name() const = 0;
  // Describes the model or method, for logs and JSON.
  virtual std::string description() const = 0;
  // Computes the maps for an upright 8-bit BGR photo. Throws smartcrop::Error.
  // One thread at a time per backend object; see fork() for more.
  virtual SaliencyResult compute(const cv::Mat& bgr, const std::string& path) = 0;

  // Another backend giving the same maps, for a second inference thread: it shares
  // what compute() only reads (the loaded model) and owns what compute() changes.
  // nullptr when the backend cannot be forked; the batch then uses one thread.
  virtual std::unique_ptr<SaliencyBackend> fork() const { return nullptr; }

  // Sets how many threads compute() may use when called from the calling thread
  // (each inference worker of a batch gets its share). Ignored by default.
  virtual void use_threads(int /*threads*/) {}

  // How many photos the backend would like in compute() at once, from as many
  // worker threads, to run them through the model together (1: no batching).
  virtual int batch_size() const { return 1; }

  // Called on the worker's thread when it will call compute() on this object no
  // more for now: a batching backend stops waiting for it (a later compute() is fine).
  virtual void done_computing() {}

  // Warning lines that arose while computing (e.g. a GPU batch split after running out
  // of memory), each returned once, from any fork; the caller logs them.
  virtual std::vector<std::string> take_warnings() { return {}; }

  // The per-head attention of the last compute() on this object (for
  // --dump-attention); null for backends without heads.
  virtual const HeadAttention* last_heads() const { return nullptr; }

  // Returns the log lines for the loaded backend (default: name and description).
  virtual BackendReport report() const;
};

// Returns the blur window in map pixels for a map whose short side is
// `map_short_side` px: blur_px scaled from a 480 px short side, at least 1.
int scaled_blur_window(int blur_px, int map_short_side);

}  // namespace smartcrop

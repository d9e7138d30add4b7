#pragma once
// The DINO backend: the prototype's algorithm on a TorchScript ViT.

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "attention_model.hpp"
#include "forward_batcher.hpp"
#include "smartcrop/backend.hpp"

namespace smartcrop {

class DinoBackend final : public SaliencyBackend {
 public:
  // Takes a loaded model and the analysis parameters. With params.batch_size > 1
  // (0: 32 on a GPU, 1 on the CPU) the forwards go through a ForwardBatcher shared
  // by this backend and its forks.
  DinoBackend(std::shared_ptr<AttentionModel> model, SaliencyParams params);
  ~DinoBackend() override;

  std::string name() const override { return "dino"; }
  std::string description() const override;
  // Resize to input_size, forward, combine heads, upsample to pixels, box blur.
  SaliencyResult compute(const cv::Mat& bgr, const std::string& path) override;
  // Shares the loaded model: TorchScript forwards may run on several threads at once.
  std::unique_ptr<SaliencyBackend> fork() const override;

  // Torch's intra-op threads on the calling thread (with batches: the model
  // thread keeps all of params.threads, the workers only prepare inputs).
  void use_threads(int threads) override;
  int batch_size() const override { return batcher_ ? batcher_->batch_size() : 1; }
  void done_computing() override;
  std::vector<std::string> take_warnings() override;
  // The per-head attention of the last compute(), for parity checks and dumps.
  const HeadAttention* last_heads() const override { return &last_heads_; }
  // The model load line, and warnings for random weights, emulated bf16, slow BLAS.
  BackendReport report() const override;
  const AttentionModel& model() const { return *model_; }

 private:
  // What the backend and its forks share.
  struct Shared {
    std::shared_ptr<ForwardBatcher> batcher;  // null: one photo per forward, on the calling thread
    // Without a batcher, forwards run side by side (shared); a photo that ran out of
    // memory among them is tried once more alone (exclusive).
    std::shared_mutex forwards;
    std::mutex warnings_mutex;
    std::vector<std::string> warnings;
  };

  DinoBackend(std::shared_ptr<AttentionModel> model, SaliencyParams params, std::shared_ptr<Shared> shared);
  HeadAttention forward_alone(const ModelInput& input);

  std::shared_ptr<AttentionModel> model_;
  SaliencyParams params_;
  std::shared_ptr<Shared> shared_;
  ForwardBatcher* batcher_ = nullptr;        // shared_->batcher
  bool open_ = false;                        // this object is counted as a worker by batcher_
  HeadAttention last_heads_;
};

}  // namespace smartcrop

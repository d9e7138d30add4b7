#pragma once
// The DINO backend: the prototype's algorithm on a TorchScript ViT.

#include <memory>

#include "smartcrop/attention_model.hpp"
#include "smartcrop/backend.hpp"

namespace smartcrop {

class DinoBackend final : public SaliencyBackend {
 public:
  // Takes a loaded model and the analysis parameters.
  DinoBackend(std::shared_ptr<AttentionModel> model, SaliencyParams params);

  std::string name() const override { return "dino"; }
  std::string description() const override;
  // Resize to input_size, forward, combine heads, upsample to pixels, box blur.
  SaliencyResult compute(const cv::Mat& bgr, const std::string& path) override;
  // Shares the loaded model: TorchScript forwards may run on several threads at once.
  std::unique_ptr<SaliencyBackend> fork() const override;

  // The per-head attention of the last compute(), for parity checks and dumps.
  const HeadAttention& last_heads() const { return last_heads_; }
  const AttentionModel& model() const { return *model_; }

 private:
  std::shared_ptr<AttentionModel> model_;
  SaliencyParams params_;
  HeadAttention last_heads_;
};

}  // namespace smartcrop

#pragma once
// The loaded TorchScript model behind AttentionModel: its forward on the CPU and on a
// GPU. Private to src/model (includes Torch).

#include <memory>
#include <vector>

#include <ATen/Tensor.h>
#include <torch/script.h>

#include "attention_model.hpp"

namespace smartcrop {

// The model ready to run: `module` already on `device`, its weights in the format
// `info.precision` wants (attention_model.cpp, load). For half precision on a GPU,
// `full` is the same model in fp32 there: a batch whose attention is not finite (an fp16
// overflow) runs again in it.
std::unique_ptr<AttentionModel> make_torch_model(torch::jit::Module module, ModelInfo info, c10::Device device,
                                                 c10::optional<torch::jit::Module> full = c10::nullopt);

// Byte inputs (InputFormat::Bytes) side by side: uint8 [batch, height, width, 3], in
// pinned memory when `pinned` (for an asynchronous copy to a GPU).
at::Tensor pack_pixels(const std::vector<const ModelInput*>& inputs, bool pinned);

// uint8 [batch, height, width, 3] RGB to the model's float32 [batch, 3, height, width],
// normalised on the tensor's device as prepare_model_input does on the CPU: the same
// float operations in the same order, (v * kPixelScale - mean) / std, with `mean` and
// `std` float32 [1, 3, 1, 1] on that device (kImageNetMean, kImageNetStd).
at::Tensor normalise_pixels(const at::Tensor& pixels, const at::Tensor& mean, const at::Tensor& std);

}  // namespace smartcrop

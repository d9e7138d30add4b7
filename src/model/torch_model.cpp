// The model's forward on the CPU and on a GPU. Includes Torch, like the rest of src/model.
#include "torch_model.hpp"

#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>

#include <c10/core/Event.h>
#include <c10/core/StreamGuard.h>
#include <c10/core/impl/VirtualGuardImpl.h>
#include <torch/csrc/jit/runtime/graph_executor.h>

#include "torch_device.hpp"

namespace smartcrop {

namespace {

// [batch, heads, H/16, W/16] float32 on the CPU: one HeadAttention per photo.
std::vector<HeadAttention> split_photos(const at::Tensor& out) {
  const std::int64_t batch = out.size(0);
  std::vector<HeadAttention> attentions(static_cast<std::size_t>(batch));
  const std::int64_t per_photo = out.numel() / batch;
  for (std::int64_t b = 0; b < batch; ++b) {
    HeadAttention& attention = attentions[static_cast<std::size_t>(b)];
    attention.heads = static_cast<int>(out.size(1));
    attention.grid_height = static_cast<int>(out.size(2));
    attention.grid_width = static_cast<int>(out.size(3));
    const float* first = out.data_ptr<float>() + b * per_photo;
    attention.values.assign(first, first + per_photo);
  }
  return attentions;
}

// A batch whose forward has run (the CPU).
class ReadyBatch final : public PendingBatch {
 public:
  explicit ReadyBatch(std::vector<HeadAttention> attentions) : attentions_(std::move(attentions)) {}
  std::vector<HeadAttention> wait() override { return std::move(attentions_); }

 private:
  std::vector<HeadAttention> attentions_;
};

// A failure inside Torch as smartcrop's error: ModelOutOfMemory when memory ran out.
[[noreturn]] void throw_forward_failure(const std::string& path, const std::string& device, const std::exception& e) {
  const auto* torch_error = dynamic_cast<const c10::Error*>(&e);
  const std::string message = torch_error != nullptr ? torch_error->what_without_backtrace() : e.what();
  const std::string line = torch_error_line(message);
  if (says_out_of_memory(message)) throw ModelOutOfMemory(path, line);
  throw Error(path, "model forward failed on " + device + ": " + line);
}

// Two streams of Torch's pool for each thread that runs forwards on the GPU: one for
// the inputs' copy, one for the forward. No forward uses the default stream, so the
// batcher's batches and the inference workers' (--batch-size 1) run side by side.
struct ThreadStreams {
  c10::Stream copy;
  c10::Stream compute;
};

const ThreadStreams& thread_streams(const c10::Device& device) {
  thread_local std::unique_ptr<ThreadStreams> streams;  // one model, one device per process
  if (!streams) {
    const c10::impl::VirtualGuardImpl impl(device.type());
    streams.reset(new ThreadStreams{impl.getStreamFromGlobalPool(device), impl.getStreamFromGlobalPool(device)});
  }
  return *streams;
}

bool all_finite(const at::Tensor& host) {
  const float* values = host.data_ptr<float>();
  for (std::int64_t i = 0; i < host.numel(); ++i) {
    if (!std::isfinite(values[i])) return false;
  }
  return true;
}

// A batch queued on a GPU: its attention arrives in pinned memory, then `done` fires.
// `again` runs the batch once more in fp32 (half precision only): for an attention that
// is not finite.
class GpuBatch final : public PendingBatch {
 public:
  GpuBatch(at::Tensor host_out, c10::Event done, std::string path, std::string device,
           std::function<std::vector<HeadAttention>()> again)
      : host_out_(std::move(host_out)), done_(std::move(done)), path_(std::move(path)), device_(std::move(device)),
        again_(std::move(again)) {}

  std::vector<HeadAttention> wait() override {
    try {
      // LibTorch 1.13's c10::Event has no synchronize(): poll, at a fraction of a forward.
      while (!done_.query()) std::this_thread::sleep_for(std::chrono::microseconds(100));
    } catch (const std::exception& e) {
      throw_forward_failure(path_, device_, e);
    }
    if (again_ && !all_finite(host_out_)) return again_();
    return split_photos(host_out_);
  }

 private:
  at::Tensor host_out_;
  c10::Event done_;
  std::string path_;
  std::string device_;
  std::function<std::vector<HeadAttention>()> again_;
};

at::Tensor channel_constants(const float (&values)[3], const c10::Device& device) {
  return at::tensor({values[0], values[1], values[2]}, at::kFloat).view({1, 3, 1, 1}).to(device);
}

class TorchAttentionModel final : public AttentionModel {
 public:
  TorchAttentionModel(torch::jit::Module module, ModelInfo info, c10::Device device,
                      c10::optional<torch::jit::Module> full)
      : module_(std::move(module)), full_(std::move(full)), info_(std::move(info)), device_(device),
        half_(info_.precision == Precision::Bf16 || info_.precision == Precision::Fp16),
        dtype_(dtype_of(info_.precision)), mean_(channel_constants(kImageNetMean, device)),
        std_(channel_constants(kImageNetStd, device)) {}

  const ModelInfo& info() const override { return info_; }
  InputFormat input_format() const override { return device_.is_cpu() ? InputFormat::Floats : InputFormat::Bytes; }
  void release_cached_memory() override { release_device_cache(device_); }
  std::vector<std::string> take_warnings() override {
    std::lock_guard<std::mutex> lock(warnings_mutex_);
    std::vector<std::string> taken;
    taken.swap(warnings_);
    return taken;
  }

  std::unique_ptr<PendingBatch> submit(const std::vector<const ModelInput*>& inputs) override {
    if (inputs.empty()) return std::make_unique<ReadyBatch>(std::vector<HeadAttention>{});
    for (const ModelInput* input : inputs) {
      if (input->height != inputs.front()->height || input->width != inputs.front()->width) {
        throw Error(info_.path, "a batch needs inputs of one shape");
      }
    }
    c10::InferenceMode guard;
    // No graph passes: TorchScript's default (profiling) executor instruments the first
    // call, re-optimises on the second and guards on shapes after that; with the
    // ViT-S/16 at 64 px that cost 350 + 73 ms on the first two calls and ~30 ms per call
    // after, against 165-240 + 20 ms and ~20 ms unoptimised (docs/PERFORMANCE.md), on a
    // graph of matrix products that the passes cannot improve. The switch is
    // thread-local, and forwards run on the batcher's thread and on every inference
    // worker: set once on the loading thread, it missed them all (issue 25).
    torch::jit::GraphOptimizerEnabledGuard no_graph_passes(false);
    try {
      return device_.is_cpu() ? run_on_cpu(inputs) : start_on_gpu(inputs, false);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw_forward_failure(info_.path, info_.device, e);
    }
  }

 private:
  // The attention's shape, checked before the values are read.
  void check_output(const at::Tensor& out, std::size_t batch, const ModelInput& input) const {
    if (out.dim() != 4 || out.size(0) != static_cast<std::int64_t>(batch) ||
        out.size(2) != input.height / info_.patch_size || out.size(3) != input.width / info_.patch_size) {
      throw Error(info_.path, "model returned shape " + c10::str(out.sizes()) +
                                  ", expected [batch, heads, H/16, W/16] CLS attention");
    }
  }

  // One input as it is, several copied side by side; bf16 through CPU autocast.
  std::unique_ptr<PendingBatch> run_on_cpu(const std::vector<const ModelInput*>& inputs) {
    const ModelInput& first = *inputs.front();
    const auto batch = static_cast<std::int64_t>(inputs.size());
    at::Tensor x;
    if (batch == 1) {
      x = at::from_blob(const_cast<float*>(first.chw.ptr<float>()), {1, 3, first.height, first.width}, at::kFloat);
    } else {
      x = at::empty({batch, 3, first.height, first.width}, at::kFloat);
      const std::size_t bytes = 3 * static_cast<std::size_t>(first.height) * first.width * sizeof(float);
      for (std::int64_t b = 0; b < batch; ++b) {
        std::memcpy(static_cast<char*>(x.data_ptr()) + b * bytes, inputs[static_cast<std::size_t>(b)]->chw.ptr<float>(),
                    bytes);
      }
    }
    AutocastScope mixed(c10::kCPU, at::kBFloat16, info_.precision == Precision::Bf16);
    const at::Tensor out = module_.forward({x}).toTensor().to(at::kFloat).contiguous();
    check_output(out, inputs.size(), first);
    return std::make_unique<ReadyBatch>(split_photos(out));
  }

  // Queues the batch on this thread's streams and returns: the 8-bit pixels go through
  // pinned memory on the copy stream, the forward waits for them on the compute stream,
  // normalises there and sends the attention back to pinned memory.
  std::unique_ptr<PendingBatch> start_on_gpu(const std::vector<const ModelInput*>& inputs, bool in_fp32) {
    const ModelInput& first = *inputs.front();
    const ThreadStreams& streams = thread_streams(device_);
    const c10::impl::VirtualGuardImpl impl(device_.type());
    const bool bytes = !first.rgb.empty();
    const at::Tensor host = bytes ? pack_pixels(inputs, true) : pack_floats(inputs);
    at::Tensor sent;
    c10::Event copied(device_.type());
    {
      c10::StreamGuard on_copy(streams.copy);
      sent = host.to(device_, /*non_blocking=*/true);
      copied.record(streams.copy);
    }
    c10::StreamGuard on_compute(streams.compute);
    copied.block(streams.compute);
    // `sent` was allocated for the copy stream: keep its memory until the forward is done.
    impl.recordDataPtrOnStream(sent.storage().data_ptr(), streams.compute);
    at::Tensor out;
    {
      AutocastScope mixed(c10::kCUDA, dtype_, half_ && !in_fp32);
      torch::jit::Module& module = in_fp32 && full_ ? *full_ : module_;
      out = module.forward({bytes ? normalise_pixels(sent, mean_, std_) : sent}).toTensor();
    }
    out = out.to(at::kFloat);
    check_output(out, inputs.size(), first);
    at::Tensor host_out = at::empty(out.sizes(), at::TensorOptions().dtype(at::kFloat).pinned_memory(true));
    host_out.copy_(out, /*non_blocking=*/true);
    c10::Event done(device_.type());
    done.record(streams.compute);
    std::function<std::vector<HeadAttention>()> again;
    if (half_ && !in_fp32 && full_) again = [this, inputs] { return again_in_fp32(inputs); };
    return std::make_unique<GpuBatch>(std::move(host_out), std::move(done), info_.path, info_.device,
                                      std::move(again));
  }

  // fp16 overflows past 65504 where bf16 and fp32 do not: a batch whose attention is not
  // finite runs again in fp32, on the thread that found it, and says so.
  std::vector<HeadAttention> again_in_fp32(const std::vector<const ModelInput*>& inputs) {
    {
      std::lock_guard<std::mutex> lock(warnings_mutex_);
      warnings_.push_back(info_.device + ": a batch of " + std::to_string(inputs.size()) + " at " +
                          std::to_string(inputs.front()->width) + "x" + std::to_string(inputs.front()->height) +
                          " gave a non-finite attention in " + precision_name(info_.precision) +
                          " (an overflow): ran it again in fp32");
    }
    c10::InferenceMode guard;
    torch::jit::GraphOptimizerEnabledGuard no_graph_passes(false);
    try {
      return start_on_gpu(inputs, true)->wait();
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw_forward_failure(info_.path, info_.device, e);
    }
  }

  static at::Tensor pack_floats(const std::vector<const ModelInput*>& inputs) {
    const ModelInput& first = *inputs.front();
    const auto batch = static_cast<std::int64_t>(inputs.size());
    at::Tensor host = at::empty({batch, 3, first.height, first.width},
                                at::TensorOptions().dtype(at::kFloat).pinned_memory(true));
    const std::size_t bytes = 3 * static_cast<std::size_t>(first.height) * first.width * sizeof(float);
    for (std::int64_t b = 0; b < batch; ++b) {
      std::memcpy(static_cast<char*>(host.data_ptr()) + b * bytes, inputs[static_cast<std::size_t>(b)]->chw.ptr<float>(),
                  bytes);
    }
    return host;
  }

  torch::jit::Module module_;
  c10::optional<torch::jit::Module> full_;  // fp32, for a half-precision batch that overflowed
  ModelInfo info_;
  c10::Device device_;
  bool half_;
  at::ScalarType dtype_;
  at::Tensor mean_;
  at::Tensor std_;
  std::mutex warnings_mutex_;
  std::vector<std::string> warnings_;
};

}  // namespace

std::unique_ptr<AttentionModel> make_torch_model(torch::jit::Module module, ModelInfo info, c10::Device device,
                                                 c10::optional<torch::jit::Module> full) {
  return std::make_unique<TorchAttentionModel>(std::move(module), std::move(info), device, std::move(full));
}

at::Tensor pack_pixels(const std::vector<const ModelInput*>& inputs, bool pinned) {
  const ModelInput& first = *inputs.front();
  const auto batch = static_cast<std::int64_t>(inputs.size());
  at::Tensor host = at::empty({batch, first.height, first.width, 3},
                              at::TensorOptions().dtype(at::kByte).pinned_memory(pinned));
  const std::size_t row = static_cast<std::size_t>(first.width) * 3;
  for (std::int64_t b = 0; b < batch; ++b) {
    const cv::Mat& rgb = inputs[static_cast<std::size_t>(b)]->rgb;
    auto* dst = static_cast<std::uint8_t*>(host.data_ptr()) + b * row * first.height;
    for (int y = 0; y < first.height; ++y) std::memcpy(dst + y * row, rgb.ptr<std::uint8_t>(y), row);
  }
  return host;
}

at::Tensor normalise_pixels(const at::Tensor& pixels, const at::Tensor& mean, const at::Tensor& std) {
  return pixels.permute({0, 3, 1, 2}).to(at::kFloat).mul(kPixelScale).sub(mean).div(std);
}

}  // namespace smartcrop

// libsmartcrop_dino.so's one exported function: the DINO backend behind the
// DinoPlugin interface (src/saliency/dino_plugin.hpp). Everything else in the
// library is hidden (-fvisibility=hidden).
#include <cstring>

#include "attention_model.hpp"
#include "dino_backend.hpp"
#include "forward_bench.hpp"
#include "saliency/dino_plugin.hpp"

namespace smartcrop {

namespace {

class TorchDinoPlugin final : public DinoPlugin {
 public:
  std::unique_ptr<SaliencyBackend> make_backend(const std::string& model_path,
                                                const SaliencyParams& params) const override {
    set_torch_threads(params.threads);
    return std::make_unique<DinoBackend>(AttentionModel::load(model_path, params.precision, params.device), params);
  }

  ForwardBenchResult bench_forward(const std::string& model_path, const SaliencyParams& params,
                                   const std::vector<cv::Mat>& photos, int repeats) const override {
    set_torch_threads(params.threads);
    auto model = AttentionModel::load(model_path, params.precision, params.device);
    const bool gpu = model->info().device != "cpu";
    const int batch = params.batch_size > 0 ? params.batch_size : gpu ? 32 : 1;
    return smartcrop::bench_forward(*model, photos, params.input_size, repeats, batch);
  }
};

}  // namespace

}  // namespace smartcrop

extern "C" __attribute__((visibility("default"))) const smartcrop::DinoPlugin* smartcrop_dino_plugin(
    const char* interface) {
  static const smartcrop::TorchDinoPlugin plugin;
  if (interface == nullptr || std::strcmp(interface, smartcrop::kDinoPluginInterface) != 0) return nullptr;
  return &plugin;
}

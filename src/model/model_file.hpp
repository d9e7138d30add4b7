#pragma once
// What a TorchScript model file says about itself (smartcrop_model.json, written by
// scripts/export_model.py), read before Torch deserialises its code, and whether
// this plugin's LibTorch is new enough to run it. Private to src/model.

#include <optional>
#include <string>

namespace smartcrop {

struct TorchVersion {
  int major = 0;
  int minor = 0;
};

// The LibTorch this plugin was built against (torch/version.h).
TorchVersion runtime_torch_version();

// Parses "2.6", "2.6.0+cpu", "1.13.1": major and minor; nullopt if it starts otherwise.
std::optional<TorchVersion> parse_torch_version(const std::string& text);

bool older_than(TorchVersion a, TorchVersion b);
std::string to_string(TorchVersion version);

// The text of smartcrop_model.json in the TorchScript (zip) file at `path`; empty
// when the file has none or is no zip archive (torch::jit::load then says why).
std::string read_model_metadata_text(const std::string& path);

// Throws smartcrop::Error naming `path` if the metadata's `min_torch` (the oldest
// LibTorch that can run the file) is newer than this plugin's LibTorch.
void check_runtime_can_run(const std::string& path, const std::string& metadata_text);

// What the file is shaped for (export_model.py --target): "gpu" (fused attention) or
// "cpu", from the metadata's "target", or for files written before it, "gpu" where its
// "optimizations" name sdpa_blocks and "cpu" otherwise; "" without metadata.
std::string model_target(const std::string& metadata_text);

// One warning line when a file shaped for one kind of device runs on the other
// (`device`: "cpu", "cuda:0", ...), naming `path` and how to export the right one;
// "" when it fits or the target is unknown.
std::string target_mismatch(const std::string& path, const std::string& target, const std::string& device);

// For a file Torch failed to load: "; it was written by torch X and this plugin runs
// LibTorch Y, ..." when its writer is newer than the runtime, else "".
std::string newer_writer_hint(const std::string& metadata_text);

}  // namespace smartcrop

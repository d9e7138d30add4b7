#include "model_file.hpp"

#include <cstdio>

#include <caffe2/serialize/inline_container.h>
#include <nlohmann/json.hpp>
#include <torch/version.h>

#include "install_layout.hpp"
#include "smartcrop/error.hpp"

namespace smartcrop {

namespace {

constexpr const char* kMetadataRecord = "extra/smartcrop_model.json";

std::string how_to_fix(const std::string& writer) {
  const std::string runtime = to_string(runtime_torch_version());
  const auto written = parse_torch_version(writer);
  // The exporter that exists here: the model command when installed, the script in a build tree.
  const char* exporter = build_source_tree().empty() ? "smartcrop-model (fetch, or export --checkpoint FILE)"
                                                     : "scripts/export_model.py";
  std::string advice = std::string("re-export it with ") + exporter + " under torch " + runtime;
  if (written) advice += " (the file was written by torch " + to_string(*written) + ")";
  return advice + ", or build smartcrop against a newer LibTorch (README: \"Another LibTorch\")";
}

std::string string_field(const nlohmann::json& meta, const char* key) {
  auto it = meta.find(key);
  return it != meta.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

TorchVersion runtime_torch_version() { return {TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR}; }

std::optional<TorchVersion> parse_torch_version(const std::string& text) {
  TorchVersion version;
  if (std::sscanf(text.c_str(), "%d.%d", &version.major, &version.minor) != 2) return std::nullopt;
  if (version.major < 0 || version.minor < 0) return std::nullopt;
  return version;
}

bool older_than(TorchVersion a, TorchVersion b) {
  return a.major != b.major ? a.major < b.major : a.minor < b.minor;
}

std::string to_string(TorchVersion version) {
  return std::to_string(version.major) + "." + std::to_string(version.minor);
}

std::string read_model_metadata_text(const std::string& path) {
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    if (!reader.hasRecord(kMetadataRecord)) return {};
    auto record = reader.getRecord(kMetadataRecord);
    return std::string(static_cast<const char*>(std::get<0>(record).get()), std::get<1>(record));
  } catch (const c10::Error&) {
    return {};  // not a zip archive: torch::jit::load reports it
  }
}

void check_runtime_can_run(const std::string& path, const std::string& metadata_text) {
  if (metadata_text.empty()) return;
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(metadata_text);
  } catch (const std::exception& e) {
    throw Error(path, std::string("bad model metadata: ") + e.what());
  }
  const std::string needed = string_field(meta, "min_torch");
  if (needed.empty()) return;  // files from before min_torch was recorded
  const auto min = parse_torch_version(needed);
  if (!min) throw Error(path, "bad model metadata: min_torch \"" + needed + "\" is no torch version");
  const TorchVersion runtime = runtime_torch_version();
  if (!older_than(runtime, *min)) return;
  throw Error(path, "this model file needs LibTorch >= " + to_string(*min) + " and this smartcrop's DINO plugin runs LibTorch " +
                        to_string(runtime) + "; " + how_to_fix(string_field(meta, "torch_version")));
}

std::string model_target(const std::string& metadata_text) {
  if (metadata_text.empty()) return {};
  try {
    const auto meta = nlohmann::json::parse(metadata_text);
    const std::string target = string_field(meta, "target");
    if (!target.empty()) return target;
    const auto it = meta.find("optimizations");
    if (it != meta.end() && it->is_array()) {
      for (const auto& name : *it) {
        if (name.is_string() && name.get<std::string>() == "sdpa_blocks") return "gpu";
      }
    }
    return "cpu";
  } catch (const std::exception&) {
    return {};  // check_runtime_can_run reports bad metadata
  }
}

std::string target_mismatch(const std::string& path, const std::string& target, const std::string& device) {
  const bool on_gpu = device != "cpu";
  if (target == "cpu" && on_gpu) {
    return "model " + path + " was exported for the CPU (one attention head at a time, no fused attention): on " +
           device + " it runs several times slower than a file exported for a GPU with "
           "scripts/export_model.py --target gpu (torch >= 2.0)";
  }
  if (target == "gpu" && !on_gpu) {
    return "model " + path + " was exported for a GPU (--target gpu, fused attention): on the CPU the default "
           "export (--target cpu) is the one whose bf16 crops are tested against fp32";
  }
  return {};
}

std::string newer_writer_hint(const std::string& metadata_text) {
  if (metadata_text.empty()) return {};
  try {
    const auto meta = nlohmann::json::parse(metadata_text);
    const auto writer = parse_torch_version(string_field(meta, "torch_version"));
    if (!writer || !older_than(runtime_torch_version(), *writer)) return {};
    return "; this smartcrop's DINO plugin runs LibTorch " + to_string(runtime_torch_version()) + ": " +
           how_to_fix(string_field(meta, "torch_version"));
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace smartcrop

#include "smartcrop/window_model_file.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "install_layout.hpp"
#include "plugin_library.hpp"
#include "smartcrop/error.hpp"

namespace smartcrop {

namespace fs = std::filesystem;

namespace {
constexpr const char* kDefaultWindowModel = "models/window_model.json";
}  // namespace

std::string resolve_window_model_path(const std::string& requested) {
  if (!requested.empty()) return requested;
  if (const char* env = std::getenv("SMARTCROP_WINDOW_MODEL"); env != nullptr && *env != '\0') return env;
  // A build tree's source tree (src/install_layout.hpp), else the installation's data
  // folder, found from the engine's own: never a path of the machine that built it.
  const std::string& source = build_source_tree();
  return (source.empty() ? fs::path(installed_data_dir()) / kDefaultWindowModel : fs::path(source) / kDefaultWindowModel)
      .string();
}

WindowModel load_window_model(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path, "cannot open window model (made by scripts/quality/fit_window_model.py)");
  try {
    const nlohmann::json doc = nlohmann::json::parse(in);
    WindowModel model = make_window_model(doc.at("features").get<std::vector<std::string>>(),
                                          doc.at("weights").get<std::vector<double>>(),
                                          doc.at("scales").get<std::vector<double>>());
    const std::string decision = doc.value("decision", "argmax");
    if (decision == "expected_iou") {
      model.decision = WindowDecision::ExpectedIou;
    } else if (decision != "argmax") {
      throw Error(path, "bad window model: decision '" + decision + "' (expected argmax or expected_iou)");
    }
    return model;
  } catch (const nlohmann::json::exception& e) {
    throw Error(path, std::string("bad window model: ") + e.what());
  } catch (const std::invalid_argument& e) {
    throw Error(path, std::string("bad window model: ") + e.what());
  }
}

}  // namespace smartcrop

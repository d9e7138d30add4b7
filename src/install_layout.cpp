#include "install_layout.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace smartcrop {

namespace {

constexpr const char* kSourceTreeMarker = "smartcrop_source_dir.txt";

std::string read_source_tree_marker() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  std::ifstream in(self.parent_path() / kSourceTreeMarker);
  std::string line;
  if (!in || !std::getline(in, line)) return "";
  return line;
}

std::string home_dir() {
  if (const char* home = std::getenv("HOME"); home != nullptr && *home == '/') return home;
  const passwd* entry = ::getpwuid(::geteuid());
  return entry != nullptr && entry->pw_dir != nullptr ? entry->pw_dir : "";
}

}  // namespace

const std::string& build_source_tree() {
  static const std::string tree = read_source_tree_marker();
  return tree;
}

std::string user_model_dir() {
  // The XDG base directory spec: a relative $XDG_DATA_HOME is invalid and ignored.
  if (const char* data = std::getenv("XDG_DATA_HOME"); data != nullptr && *data == '/') {
    return (fs::path(data) / "smartcrop" / "models").string();
  }
  const std::string home = home_dir();
  return home.empty() ? "" : (fs::path(home) / ".local" / "share" / "smartcrop" / "models").string();
}

std::vector<ModelPlace> model_places(const std::string& requested) {
  std::vector<ModelPlace> places;
  places.push_back({"--model", requested});
  const char* env = std::getenv("SMARTCROP_MODEL");
  places.push_back({"$SMARTCROP_MODEL", env != nullptr ? env : ""});
  const std::string user = user_model_dir();
  places.push_back({"per-user folder", user.empty() ? "" : (fs::path(user) / kDefaultModelFile).string()});
  places.push_back({"system folder", (fs::path(kSystemModelDir) / kDefaultModelFile).string()});
  if (!build_source_tree().empty()) {
    places.push_back({"source tree", (fs::path(build_source_tree()) / "models" / kDefaultModelFile).string()});
  }
  return places;
}

std::string model_advice() {
  return build_source_tree().empty() ? "get one with: smartcrop-model fetch"
                                     : "make one with: /usr/bin/python3 scripts/export_model.py";
}

}  // namespace smartcrop

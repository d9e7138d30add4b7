#include "plugin_library.hpp"

#include <dlfcn.h>

#include <chrono>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "smartcrop/error.hpp"

namespace fs = std::filesystem;

namespace smartcrop {

namespace {

// dlerror()'s text without the plugin's own path (the error names it already), on one line.
std::string loader_reason(const std::string& path) {
  const char* text = dlerror();
  std::string reason = text != nullptr ? text : "unknown dynamic loader error";
  if (reason.rfind(path + ": ", 0) == 0) reason = reason.substr(path.size() + 2);
  return reason.substr(0, reason.find('\n'));
}

}  // namespace

std::string plugin_path(const std::string& file) {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ((ec ? fs::path(".") : self.parent_path()) / file).string();
}

std::string installed_data_dir() {
  return fs::path(plugin_path("../../share/smartcrop")).lexically_normal().string();
}

void* open_plugin_entry(const std::string& file, const char* entry, const std::string& fix) {
  const std::string path = plugin_path(file);
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(path, "plugin not found; " + fix);
  const auto start = std::chrono::steady_clock::now();
  // RTLD_NOW: a missing symbol fails here, with its name, not in the middle of a run.
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) throw Error(path, "cannot load the plugin (" + loader_reason(path) + "); " + fix);
  void* function = dlsym(library, entry);
  if (function == nullptr) throw Error(path, std::string("not a smartcrop plugin (no ") + entry + "); " + fix);
  spdlog::debug("loaded plugin {} in {:.0f} ms", path,
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  return function;
}

}  // namespace smartcrop

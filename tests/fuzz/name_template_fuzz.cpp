// Fuzzes the --name template: check_name_template, then expand_name for one input.
// The input is four lines: the template, the input's path, its folder relative to
// the input folder (as a folder walk makes it: relative, no ".."), and a --ratio.
// A template that passes the check must name a file inside the output folder for
// every such input: a relative path without "..", and not a folder.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include "smartcrop/output_naming.hpp"

namespace fs = std::filesystem;

namespace {

// Returns the next line of `rest` and drops it from `rest`.
std::string next_line(std::string_view& rest) {
  const std::size_t end = rest.find('\n');
  const std::string line(rest.substr(0, end));
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  return line;
}

bool has_dot_dot(const fs::path& path) {
  for (const auto& part : path) {
    if (part == "..") return true;
  }
  return false;
}

// True for the folders a folder walk can report: relative, normal, no "..".
bool walk_like(const std::string& dir) {
  if (dir.empty()) return true;
  const fs::path p(dir);
  return !p.is_absolute() && !has_dot_dot(p) && p.lexically_normal().string() == dir && dir.back() != '/' &&
         dir != ".";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string name_template = next_line(rest);
  smartcrop::InputFile input;
  input.path = next_line(rest);
  input.relative_dir = next_line(rest);
  const std::string ratio_text = next_line(rest);
  try {
    smartcrop::check_name_template(name_template);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  // Inputs are regular files: a path naming a folder is never an input.
  const fs::path file_name = fs::path(input.path).filename();
  if (file_name.empty() || file_name == "." || file_name == ".." || !walk_like(input.relative_dir)) return 0;
  std::string ratio_label;
  try {
    ratio_label = smartcrop::parse_ratio(ratio_text).label;
  } catch (const std::invalid_argument&) {
    return 0;
  }
  const fs::path name = smartcrop::expand_name(name_template, input, ratio_label);
  if (name.is_absolute()) std::abort();
  if (has_dot_dot(name)) std::abort();
  const fs::path last = name.filename();
  if (last.empty() || last == "." || last == "..") std::abort();
  return 0;
}

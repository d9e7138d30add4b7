#include "smartcrop/output_naming.hpp"

#include <filesystem>
#include <stdexcept>
#include <unordered_map>

#include "smartcrop/image_io.hpp"

namespace fs = std::filesystem;

namespace smartcrop {

namespace {

const char* const kPlaceholders[] = {"stem", "ext", "ratio", "dir"};

// The key two paths share when they name the same file (symlinks and ".." resolved).
std::string identity_key(const std::string& path) {
  std::error_code ec;
  fs::path key = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (ec) key = fs::absolute(path).lexically_normal();
  return key.string();
}

// Checks each '/'-separated part of `text` with {dir} empty, as it is for photos at
// the top of the input folder: no part may lead out of the output folder, and the
// last must name a file.
void check_template_parts(const std::string& text) {
  for (std::size_t begin = 0;;) {
    const std::size_t slash = text.find('/', begin);
    std::string part = text.substr(begin, slash == std::string::npos ? std::string::npos : slash - begin);
    for (std::size_t at; (at = part.find("{dir}")) != std::string::npos;) part.erase(at, 5);
    if (part == "..") throw std::invalid_argument("--name '" + text + "': must stay inside the output folder (no '..')");
    if (slash == std::string::npos) {
      if (part.empty() || part == ".") {
        throw std::invalid_argument("--name '" + text + "': must end in a file name, e.g. {stem}_{ratio}.{ext}");
      }
      return;
    }
    begin = slash + 1;
  }
}

}  // namespace

void check_name_template(std::string_view name_template) {
  const std::string text(name_template);
  if (text.empty()) throw std::invalid_argument("--name: the template is empty");
  if (text[0] == '/') throw std::invalid_argument("--name '" + text + "': must be relative to the output folder");
  for (std::size_t pos = 0; (pos = text.find('{', pos)) != std::string::npos;) {
    const std::size_t close = text.find('}', pos);
    if (close == std::string::npos) throw std::invalid_argument("--name '" + text + "': unclosed '{'");
    const std::string key = text.substr(pos + 1, close - pos - 1);
    bool known = false;
    for (const char* p : kPlaceholders) known = known || key == p;
    if (!known) {
      throw std::invalid_argument("--name '" + text + "': unknown placeholder {" + key +
                                  "} (use {stem}, {ext}, {ratio}, {dir})");
    }
    pos = close + 1;
  }
  check_template_parts(text);
}

std::string expand_name(std::string_view name_template, const InputFile& input, const std::string& ratio_label) {
  const fs::path in(input.path);
  std::string ext = in.extension().string();
  ext = ext.empty() ? "jpg" : ext.substr(1);
  if (!is_writable_format("x." + ext)) ext = "png";
  std::string stem = in.stem().string();
  // "...jpg" has the stem "..": as a folder it would lead out of the output folder.
  if (stem == "." || stem == "..") stem.assign(stem.size(), '_');
  const std::string values[] = {stem, ext, ratio_label, input.relative_dir};

  std::string out;
  const std::string text(name_template);
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t open = text.find('{', pos);
    if (open == std::string::npos) { out += text.substr(pos); break; }
    out += text.substr(pos, open - pos);
    const std::size_t close = text.find('}', open);
    if (close == std::string::npos) { out += text.substr(open); break; }
    const std::string key = text.substr(open + 1, close - open - 1);
    for (std::size_t i = 0; i < 4; ++i) {
      if (key == kPlaceholders[i]) out += values[i];
    }
    pos = close + 1;
  }
  // An empty {dir} leaves a leading or doubled slash: normalise it away.
  std::size_t first = out.find_first_not_of('/');
  out = first == std::string::npos ? "" : out.substr(first);
  return fs::path(out).lexically_normal().string();
}

std::vector<std::vector<std::string>> plan_output_paths(const std::vector<InputFile>& inputs,
                                                        const std::vector<AspectRatio>& ratios,
                                                        const std::string& output, bool output_is_folder,
                                                        std::string_view name_template) {
  std::vector<std::vector<std::string>> paths(inputs.size(), std::vector<std::string>(ratios.size()));
  if (output.empty()) return paths;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    for (std::size_t r = 0; r < ratios.size(); ++r) {
      paths[i][r] = output_is_folder ? (fs::path(output) / expand_name(name_template, inputs[i], ratios[r].label)).string()
                                     : output;
    }
  }
  return paths;
}

std::vector<NamingConflict> find_naming_conflicts(const std::vector<InputFile>& inputs,
                                                  const std::vector<std::vector<std::string>>& outputs) {
  std::unordered_map<std::string, std::string> input_at;
  for (const auto& input : inputs) input_at.emplace(identity_key(input.path), input.path);
  std::unordered_map<std::string, std::string> writer_of;  // output key -> input writing it
  std::vector<NamingConflict> conflicts;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    for (const auto& out : outputs[i]) {
      if (out.empty()) continue;
      const std::string key = identity_key(out);
      if (auto hit = input_at.find(key); hit != input_at.end()) {
        conflicts.push_back({out, "would overwrite the input " + hit->second + " (inputs are never overwritten)"});
        continue;
      }
      auto [it, fresh] = writer_of.emplace(key, inputs[i].path);
      if (!fresh) {
        std::string hint = it->second == inputs[i].path ? "add {ratio} to --name" : "add {dir} to --name";
        if (it->second != inputs[i].path && inputs[i].relative_dir.empty()) {
          // Named files and --from lines have no {dir}: only folders given to -R do.
          hint = "photos of the same name: {dir} is only set for photos found in a folder given with -R";
        }
        conflicts.push_back({out, "both " + it->second + " and " + inputs[i].path + " would be written here (" +
                                      hint + ")"});
      }
    }
  }
  return conflicts;
}

}  // namespace smartcrop

#include "smartcrop/batch_inputs.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "smartcrop/error.hpp"

namespace fs = std::filesystem;

namespace smartcrop {

namespace {

bool is_hidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

void add_folder(const std::string& folder, bool recursive, InputList& list) {
  ++list.folders_given;
  std::error_code ec;
  fs::recursive_directory_iterator it(folder, fs::directory_options::skip_permission_denied, ec);
  if (ec) throw Error(folder, "cannot list folder: " + ec.message());
  const fs::path root(folder);
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) throw Error(folder, "cannot list folder: " + ec.message());
    const fs::directory_entry& entry = *it;
    const bool is_dir = entry.is_directory(ec);
    if (is_hidden(entry.path())) {
      ++list.skipped_hidden;
      if (is_dir) it.disable_recursion_pending();
      continue;
    }
    if (is_dir) {
      if (!recursive) it.disable_recursion_pending();
      continue;
    }
    if (!entry.is_regular_file(ec)) continue;
    if (!has_image_extension(entry.path().string())) {
      ++list.skipped_unsupported;
      continue;
    }
    InputFile file;
    file.path = entry.path().string();
    const fs::path rel = entry.path().parent_path().lexically_relative(root);
    file.relative_dir = (rel.empty() || rel == ".") ? "" : rel.generic_string();
    list.files.push_back(std::move(file));
  }
}

void add_path(const std::string& path, bool recursive, InputList& list) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    add_folder(path, recursive, list);
  } else {
    list.files.push_back({path, ""});
  }
}

constexpr std::size_t kMaxListLine = 4096;  // PATH_MAX on Linux

void add_list_file(const std::string& list_file, bool recursive, InputList& list) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (list_file != "-") {
    file.open(list_file);
    if (!file) throw Error(list_file, "cannot open input list (--from)");
    in = &file;
  }
  // Lines are bounded: `--from /dev/zero` or a binary file must fail, not grow a
  // line until memory runs out.
  std::string line;
  std::size_t number = 0;
  for (;;) {
    line.clear();
    int c = 0;
    while ((c = in->get()) != std::char_traits<char>::eof() && c != '\n') {
      if (line.size() == kMaxListLine) {
        throw Error(list_file, "line " + std::to_string(number + 1) + " is longer than " +
                                   std::to_string(kMaxListLine) + " bytes: not a list of paths (--from)");
      }
      line.push_back(static_cast<char>(c));
    }
    if (c == std::char_traits<char>::eof() && line.empty()) break;
    ++number;
    while (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line.find('\0') != std::string::npos) {
      throw Error(list_file, "line " + std::to_string(number) + " holds a NUL byte: not a list of paths (--from)");
    }
    add_path(line, recursive, list);
    if (c == std::char_traits<char>::eof()) break;
  }
  if (in->bad()) throw Error(list_file, "read error in input list (--from)");
}

}  // namespace

Shard parse_shard(std::string_view text) {
  const std::string s(text);
  const auto slash = s.find('/');
  Shard shard;
  try {
    if (slash == std::string::npos) throw std::invalid_argument("");
    std::size_t used = 0;
    shard.index = std::stoi(s.substr(0, slash), &used);
    if (used != slash) throw std::invalid_argument("");
    const std::string count = s.substr(slash + 1);
    shard.count = std::stoi(count, &used);
    if (used != count.size()) throw std::invalid_argument("");
  } catch (const std::exception&) {
    throw std::invalid_argument("--shard '" + s + "': expected K/N, e.g. 3/8");
  }
  if (shard.count < 1 || shard.index < 1 || shard.index > shard.count) {
    throw std::invalid_argument("--shard '" + s + "': K must be between 1 and N");
  }
  return shard;
}

bool has_image_extension(const std::string& path) {
  static const char* const kExtensions[] = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp"};
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::any_of(std::begin(kExtensions), std::end(kExtensions), [&](const char* e) { return ext == e; });
}

InputList collect_inputs(const InputSpec& spec) {
  InputList list;
  for (const auto& path : spec.paths) add_path(path, spec.recursive, list);
  if (!spec.list_file.empty()) add_list_file(spec.list_file, spec.recursive, list);

  std::sort(list.files.begin(), list.files.end(),
            [](const InputFile& a, const InputFile& b) { return a.path < b.path; });
  list.files.erase(std::unique(list.files.begin(), list.files.end(),
                               [](const InputFile& a, const InputFile& b) { return a.path == b.path; }),
                   list.files.end());
  list.total = static_cast<int>(list.files.size());
  if (spec.shard.count > 1) {
    std::vector<InputFile> mine;
    for (std::size_t i = 0; i < list.files.size(); ++i) {
      if (static_cast<int>(i % spec.shard.count) + 1 == spec.shard.index) mine.push_back(list.files[i]);
    }
    list.all_shards = std::move(list.files);
    list.files = std::move(mine);
  }
  return list;
}

}  // namespace smartcrop

#include "hints.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "smartcrop/error.hpp"

namespace fs = std::filesystem;

namespace smartcrop {

namespace {

// Splits one CSV line (RFC 4180 quoting, "" for a quote inside quotes). Throws
// std::invalid_argument for an unterminated quote.
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  if (quoted) throw std::invalid_argument("unterminated quote");
  for (auto& f : fields) {
    f.erase(0, f.find_first_not_of(' '));
    f.erase(f.find_last_not_of(' ') + 1);
  }
  return fields;
}

void parse_specs(const std::string& focus, const std::string& keep, HintRow& row) {
  try {
    if (!focus.empty()) row.spec.focus = parse_focus(focus);
    if (!keep.empty()) row.spec.keep = parse_keep(keep);
    if (row.spec.empty()) row.error = "the row gives neither focus nor keep";
  } catch (const std::invalid_argument& e) {
    row.error = e.what();
  }
}

// "focus": "0.7,0.3" or [0.7, 0.3] (fractions); the string form also takes "px".
std::string json_spec(const nlohmann::json& value, const char* key) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string text;
    for (const auto& v : value) {
      if (!v.is_number()) throw std::invalid_argument(std::string(key) + " must be a string or an array of numbers");
      text += (text.empty() ? "" : ",") + nlohmann::json(v.get<double>()).dump();
    }
    return text;
  }
  throw std::invalid_argument(std::string(key) + " must be a string or an array of numbers");
}

HintRow json_row(const std::string& line, int number) {
  HintRow row;
  row.line = number;
  try {
    const auto object = nlohmann::json::parse(line);
    if (!object.is_object()) throw std::invalid_argument("not a JSON object");
    if (!object.contains("path") || !object["path"].is_string()) throw std::invalid_argument("no \"path\" string");
    row.path = object["path"].get<std::string>();
    for (const auto& [key, value] : object.items()) {
      if (key != "path" && key != "focus" && key != "keep") throw std::invalid_argument("unknown key \"" + key + "\"");
    }
    parse_specs(json_spec(object.value("focus", nlohmann::json()), "focus"),
                json_spec(object.value("keep", nlohmann::json()), "keep"), row);
  } catch (const nlohmann::json::exception& e) {
    row.error = std::string("not valid JSON (") + e.what() + ")";
  } catch (const std::invalid_argument& e) {
    row.error = e.what();
  }
  return row;
}

std::string key_of(const std::string& path) {
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? fs::path(path).lexically_normal().string() : canonical.string();
}

}  // namespace

std::vector<HintRow> read_hints(const std::string& path) {
  std::ifstream file;
  if (path != "-") {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec) && !fs::exists(path, ec)) throw Error(path, "no such hints file");
    file.open(path);
    if (!file) throw Error(path, "cannot open the hints file");
  }
  std::istream& in = path == "-" ? std::cin : file;
  std::vector<HintRow> rows;
  std::vector<std::string> header;
  bool json = false, first = true;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos || line[line.find_first_not_of(" \t")] == '#') continue;
    if (first) {
      first = false;
      json = line[line.find_first_not_of(" \t")] == '{';
      if (!json) {
        header = csv_fields(line);
        for (auto& name : header) {
          std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
          if (name != "path" && name != "focus" && name != "keep") {
            throw Error(path, "line " + std::to_string(number) + ": unknown column '" + name +
                                  "' (the header names path, focus and/or keep)");
          }
        }
        if (std::find(header.begin(), header.end(), "path") == header.end()) {
          throw Error(path, "line " + std::to_string(number) + ": the header has no 'path' column (path,focus,keep)");
        }
        continue;
      }
    }
    if (json) {
      rows.push_back(json_row(line, number));
      continue;
    }
    HintRow row;
    row.line = number;
    try {
      const auto fields = csv_fields(line);
      std::map<std::string, std::string> named;
      for (std::size_t i = 0; i < fields.size() && i < header.size(); ++i) named[header[i]] = fields[i];
      row.path = named["path"];
      if (fields.size() > header.size()) {
        throw std::invalid_argument(std::to_string(fields.size()) + " fields for " + std::to_string(header.size()) +
                                    " columns (quote values with commas: \"0.7,0.3\")");
      }
      if (row.path.empty()) throw std::invalid_argument("no path");
      parse_specs(named["focus"], named["keep"], row);
    } catch (const std::invalid_argument& e) {
      row.error = e.what();
    }
    rows.push_back(std::move(row));
  }
  if (in.bad()) throw Error(path, "read error in the hints file");
  return rows;
}

std::vector<std::string> attach_hints(const std::string& name, const std::vector<HintRow>& rows,
                                      std::vector<PhotoPlan>& plans, bool sharded) {
  std::map<std::string, std::size_t> by_path;
  for (std::size_t i = 0; i < plans.size(); ++i) by_path.emplace(key_of(plans[i].input.path), i);
  std::vector<std::string> errors;
  std::map<std::size_t, int> first_line;
  for (const HintRow& row : rows) {
    const std::string where = name + " line " + std::to_string(row.line);
    const auto it = row.path.empty() ? by_path.end() : by_path.find(key_of(row.path));
    if (it == by_path.end()) {
      if (!row.error.empty()) errors.push_back(where + ": " + row.error);
      else if (!sharded) errors.push_back(where + ": " + row.path + " is not one of the photos of this run");
      continue;
    }
    PhotoPlan& plan = plans[it->second];
    if (!plan.hint) plan.hint = std::make_unique<PhotoHint>();
    PhotoHint& hint = *plan.hint;
    const auto [seen, inserted] = first_line.emplace(it->second, row.line);
    if (!inserted) {
      hint.error = where + ": a second row for this photo (the first is line " + std::to_string(seen->second) + ")";
    } else if (!row.error.empty()) {
      hint.error = where + ": " + row.error;
    } else {
      hint.spec = row.spec;
      hint.where = where;
    }
  }
  return errors;
}

int load_hints(const std::string& path, std::vector<PhotoPlan>& plans, bool sharded) {
  const std::vector<HintRow> rows = read_hints(path);
  const auto errors = attach_hints(path == "-" ? "hints on stdin" : path, rows, plans, sharded);
  for (const auto& error : errors) spdlog::error("{}", error);
  return static_cast<int>(errors.size());
}

}  // namespace smartcrop

#include "smartcrop/ratio.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>

namespace smartcrop {

namespace {

// Parses a whole string as a finite decimal number, or throws.
double parse_number(std::string_view part, std::string_view whole) {
  std::string text(part);
  if (text.empty() || text.find_first_not_of("0123456789.+-eE") != std::string::npos) {
    throw std::invalid_argument("invalid ratio '" + std::string(whole) +
                                "': expected W:H, WxH or a number, e.g. 16:9, 4x5, 1.91");
  }
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(value)) {
    throw std::invalid_argument("invalid ratio '" + std::string(whole) + "': '" + text + "' is not a number");
  }
  if (value <= 0.0) {
    throw std::invalid_argument("invalid ratio '" + std::string(whole) + "': both sides must be positive");
  }
  return value;
}

std::string trim(std::string_view text) {
  auto begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  auto end = text.find_last_not_of(" \t");
  return std::string(text.substr(begin, end - begin + 1));
}

std::string number_label(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

}  // namespace

AspectRatio parse_ratio(std::string_view raw) {
  std::string text = trim(raw);
  AspectRatio ratio;
  auto sep = text.find_first_of(":xX/");
  if (sep == std::string::npos) {
    ratio.width = parse_number(text, raw);
    ratio.height = 1.0;
    ratio.label = number_label(ratio.width);
  } else {
    ratio.width = parse_number(std::string_view(text).substr(0, sep), raw);
    ratio.height = parse_number(std::string_view(text).substr(sep + 1), raw);
    ratio.label = number_label(ratio.width) + "x" + number_label(ratio.height);
  }
  // Ratios beyond 100:1 give windows a few pixels wide on ordinary photos.
  if (ratio.value() > 100.0 || ratio.value() < 0.01) {
    throw std::invalid_argument("invalid ratio '" + std::string(raw) + "': must be between 1:100 and 100:1");
  }
  return ratio;
}

std::vector<AspectRatio> parse_ratio_list(std::string_view text) {
  std::vector<AspectRatio> ratios;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    auto part = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    ratios.push_back(parse_ratio(part));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return ratios;
}

}  // namespace smartcrop

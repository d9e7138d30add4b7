// --focus / --keep as people write them, and regions turned upright with the photo.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "smartcrop/steering.hpp"

namespace smartcrop {

namespace {

// Splits "a,b,c" (spaces allowed around numbers) into numbers; a trailing "px"
// (on the last number or on every one) means pixels.
std::vector<double> parse_numbers(std::string_view text, const std::string& what, std::size_t count, bool* pixels) {
  const std::string shown(text);
  const auto fail = [&](const std::string& why) {
    return std::invalid_argument(what + " '" + shown + "': " + why);
  };
  std::vector<double> values;
  *pixels = false;
  int px_marks = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view field = text.substr(pos, comma - pos);
    while (!field.empty() && field.front() == ' ') field.remove_prefix(1);
    while (!field.empty() && field.back() == ' ') field.remove_suffix(1);
    if (field.size() >= 2 && (field.substr(field.size() - 2) == "px" || field.substr(field.size() - 2) == "PX")) {
      field.remove_suffix(2);
      ++px_marks;
    }
    double value = 0.0;
    const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (field.empty() || ec != std::errc() || end != field.data() + field.size() || !std::isfinite(value)) {
      throw fail("expected " + std::to_string(count) + " numbers separated by commas");
    }
    values.push_back(value);
    pos = comma + 1;
  }
  if (values.size() != count) throw fail("expected " + std::to_string(count) + " numbers, got " + std::to_string(values.size()));
  if (px_marks > 0) {
    const bool last_only = px_marks == 1 && text.size() >= 2 && (text.substr(text.size() - 2) == "px" || text.substr(text.size() - 2) == "PX");
    if (!last_only && px_marks != static_cast<int>(count)) throw fail("put 'px' after the last number (or after every one)");
    *pixels = true;
  }
  for (double v : values) {
    if (v < 0.0) throw fail("coordinates cannot be negative");
    if (!*pixels && v > 1.0) throw fail("fractions must lie in 0..1 (write 'px' after pixel coordinates)");
  }
  return values;
}

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

PointF upright_point(double u, double v, int orientation) {
  switch (orientation) {
    case 2: return {1 - u, v};
    case 3: return {1 - u, 1 - v};
    case 4: return {u, 1 - v};
    case 5: return {v, u};
    case 6: return {1 - v, u};
    case 7: return {1 - v, 1 - u};
    case 8: return {v, 1 - u};
    default: return {u, v};
  }
}

}  // namespace

FocusSpec parse_focus(std::string_view text) {
  FocusSpec focus;
  const auto v = parse_numbers(text, "focus", 2, &focus.pixels);
  focus.point = {v[0], v[1]};
  return focus;
}

KeepSpec parse_keep(std::string_view text) {
  KeepSpec keep;
  const auto v = parse_numbers(text, "keep", 4, &keep.pixels);
  keep.area = {v[0], v[1], v[2], v[3]};
  const std::string shown(text);
  if (!(v[2] > 0.0 && v[3] > 0.0)) throw std::invalid_argument("keep '" + shown + "': width and height must be positive");
  if (!keep.pixels && (v[0] + v[2] > 1.0 + 1e-9 || v[1] + v[3] > 1.0 + 1e-9)) {
    throw std::invalid_argument("keep '" + shown + "': the region reaches past the photo (X+W and Y+H must be at most 1)");
  }
  return keep;
}

std::string format_focus(const FocusSpec& f) {
  return number(f.point.x) + "," + number(f.point.y) + (f.pixels ? "px" : "");
}

std::string format_keep(const KeepSpec& k) {
  return number(k.area.x) + "," + number(k.area.y) + "," + number(k.area.width) + "," + number(k.area.height) +
         (k.pixels ? "px" : "");
}

RectF upright_normalised(const RectF& r, int orientation) {
  const PointF a = upright_point(r.x, r.y, orientation);
  const PointF b = upright_point(r.x + r.width, r.y + r.height, orientation);
  return {std::min(a.x, b.x), std::min(a.y, b.y), std::abs(b.x - a.x), std::abs(b.y - a.y)};
}

const char* region_kind_name(RegionKind kind) {
  switch (kind) {
    case RegionKind::Face: return "face";
    case RegionKind::Pet: return "pet";
    case RegionKind::BarCode: return "barcode";
    case RegionKind::Focus: return "focus";
    default: return "keep";
  }
}

}  // namespace smartcrop

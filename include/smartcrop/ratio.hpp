#pragma once
// Aspect ratios as the user writes them: "16:9", "4x5", "1.91".

#include <string>
#include <string_view>
#include <vector>

namespace smartcrop {

struct AspectRatio {
  double width = 1.0;   // numerator as written ("16" of "16:9"; the value for "1.91")
  double height = 1.0;  // denominator as written ("9" of "16:9"; 1 for "1.91")
  std::string label;    // filesystem-safe label: "16x9", "4x5", "1.91"

  // width / height.
  double value() const { return width / height; }
};

// Parses "W:H", "WxH" or a positive decimal. Throws std::invalid_argument with a
// message naming the text and what is wrong (zero, negative, not a number, absurd).
AspectRatio parse_ratio(std::string_view text);

// Parses a comma-separated list of ratios ("16:9,1:1"). Throws like parse_ratio.
std::vector<AspectRatio> parse_ratio_list(std::string_view text);

}  // namespace smartcrop

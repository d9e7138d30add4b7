// Fuzzes --ratio parsing. A ratio is either refused with std::invalid_argument or
// lies within 1:100..100:1 and has a label that is safe in a file name.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "smartcrop/ratio.hpp"

namespace {

void check(const smartcrop::AspectRatio& ratio) {
  const double value = ratio.value();
  if (!std::isfinite(value) || value < 0.01 || value > 100.0) std::abort();
  if (ratio.label.empty() || ratio.label.find_first_not_of("0123456789.xe+-") != std::string::npos) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    check(smartcrop::parse_ratio(text));
  } catch (const std::invalid_argument&) {
  }
  try {
    for (const auto& ratio : smartcrop::parse_ratio_list(text)) check(ratio);
  } catch (const std::invalid_argument&) {
  }
  return 0;
}

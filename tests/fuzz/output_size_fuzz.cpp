// Fuzzes --size parsing. A size is either refused with std::invalid_argument or has
// sides in range, and writing it back as WIDTHxHEIGHT parses to the same size.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "smartcrop/batch_runner.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  smartcrop::OutputSize parsed;
  try {
    parsed = smartcrop::parse_output_size(text);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  if (parsed.width < 1 || parsed.width > 65535 || parsed.height < 0 || parsed.height > 65535) std::abort();
  std::string again = std::to_string(parsed.width);
  if (parsed.height > 0) again += "x" + std::to_string(parsed.height);
  const smartcrop::OutputSize reparsed = smartcrop::parse_output_size(again);
  if (reparsed.width != parsed.width || reparsed.height != parsed.height) std::abort();
  return 0;
}

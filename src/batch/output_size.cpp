// --size as the user writes it. Apart from crop_output.cpp so that the parser (and its
// fuzz target) needs no OpenCV.
#include <stdexcept>
#include <string>

#include "smartcrop/batch_runner.hpp"

namespace smartcrop {

OutputSize parse_output_size(std::string_view text) {
  const std::string s(text);
  OutputSize size;
  const auto fail = [&] {
    return std::invalid_argument("--size '" + s + "': expected WIDTHxHEIGHT or WIDTH in pixels, e.g. 1280x720");
  };
  try {
    std::size_t used = 0;
    size.width = std::stoi(s, &used);
    if (used < s.size()) {
      if (s[used] != 'x' && s[used] != 'X') throw fail();
      const std::string rest = s.substr(used + 1);
      size.height = std::stoi(rest, &used);
      if (used != rest.size()) throw fail();
    }
  } catch (const std::invalid_argument&) {
    throw fail();
  } catch (const std::out_of_range&) {
    throw fail();
  }
  if (size.width < 1 || size.width > 65535 || size.height < 0 || size.height > 65535 ||
      (s.find_first_of("xX") != std::string::npos && size.height < 1)) {
    throw std::invalid_argument("--size '" + s + "': sides must be 1..65535 pixels");
  }
  return size;
}

}  // namespace smartcrop

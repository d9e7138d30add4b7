#pragma once
// The first image file directory of TIFF data: TIFF files store their size there
// and EXIF blocks (TIFF inside a JPEG's APP1) their orientation. Private to src/io.

#include <cstddef>
#include <cstdint>
#include <optional>

namespace smartcrop {

// Returns the value of the SHORT or LONG tag `tag` (count 1) in the first IFD of the
// TIFF data tiff[0..size), or nullopt if the data is not TIFF, is cut short or has
// no such tag. Every offset is checked against `size`: the bytes are untrusted.
std::optional<std::uint32_t> first_ifd_value(const std::uint8_t* tiff, std::size_t size, std::uint16_t tag);

// Returns true if `bytes` start with a TIFF byte-order mark and magic number 42.
bool is_tiff(const std::uint8_t* bytes, std::size_t size);

}  // namespace smartcrop

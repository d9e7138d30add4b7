#include "tiff_ifd.hpp"

namespace smartcrop {

namespace {

std::uint32_t read16(const std::uint8_t* p, bool little) {
  return little ? (p[0] | (p[1] << 8)) : ((p[0] << 8) | p[1]);
}
std::uint32_t read32(const std::uint8_t* p, bool little) {
  return little ? (p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24))
                : ((static_cast<std::uint32_t>(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3]);
}

constexpr std::uint16_t kShort = 3;
constexpr std::uint16_t kLong = 4;

}  // namespace

bool is_tiff(const std::uint8_t* bytes, std::size_t size) {
  if (size < 8) return false;
  if (bytes[0] == 'I' && bytes[1] == 'I') return bytes[2] == 42 && bytes[3] == 0;
  if (bytes[0] == 'M' && bytes[1] == 'M') return bytes[2] == 0 && bytes[3] == 42;
  return false;
}

std::optional<std::uint32_t> first_ifd_value(const std::uint8_t* tiff, std::size_t size, std::uint16_t tag) {
  if (size < 8) return std::nullopt;
  bool little;
  if (tiff[0] == 'I' && tiff[1] == 'I') little = true;
  else if (tiff[0] == 'M' && tiff[1] == 'M') little = false;
  else return std::nullopt;
  // 64-bit arithmetic: an offset near 4 GiB must not wrap around to a small one.
  const std::uint64_t ifd = read32(tiff + 4, little);
  if (ifd + 2 > size) return std::nullopt;
  const std::uint32_t entries = read16(tiff + ifd, little);
  for (std::uint32_t i = 0; i < entries; ++i) {
    const std::uint64_t entry = ifd + 2 + std::uint64_t{i} * 12;
    if (entry + 12 > size) return std::nullopt;
    const std::uint8_t* e = tiff + entry;
    if (read16(e, little) != tag) continue;
    const std::uint32_t type = read16(e + 2, little);
    if (read32(e + 4, little) != 1) return std::nullopt;
    // A value that fits in 4 bytes is stored in the entry itself, left-justified.
    if (type == kShort) return read16(e + 8, little);
    if (type == kLong) return read32(e + 8, little);
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace smartcrop

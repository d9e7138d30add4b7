// Reading an image's size from its header, and spotting truncated files, without
// decoding: the decompression-bomb guard must act before the decoder allocates.
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "smartcrop/image_io.hpp"
#include "tiff_ifd.hpp"

namespace smartcrop {

namespace {

std::uint32_t be16(const std::uint8_t* p) { return (p[0] << 8) | p[1]; }
std::uint32_t be32(const std::uint8_t* p) {
  return (static_cast<std::uint32_t>(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}
std::uint32_t le16(const std::uint8_t* p) { return p[0] | (p[1] << 8); }
std::uint32_t le32(const std::uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

bool starts_with(const std::vector<std::uint8_t>& b, const char* magic, std::size_t offset = 0) {
  const std::size_t n = std::strlen(magic);
  return b.size() >= offset + n && std::memcmp(b.data() + offset, magic, n) == 0;
}

constexpr std::uint32_t kMaxInt = std::numeric_limits<int>::max();

// Stores a size read from the file, or marks the header malformed if it cannot be
// one: the bomb guard multiplies these, and a negative side would slip past it.
void set_size(ImageHeader& header, std::int64_t width, std::int64_t height) {
  if (width < 0 || height < 0 || width > kMaxInt || height > kMaxInt) {
    header.malformed = true;
    return;
  }
  header.width = static_cast<int>(width);
  header.height = static_cast<int>(height);
}

bool is_sof(std::uint8_t marker) {
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

// Walks the JPEG's segments: fills the size from the first SOF and reports
// whether the end-of-image marker is reached after the last scan.
void walk_jpeg(const std::vector<std::uint8_t>& b, ImageHeader& header) {
  const std::size_t n = b.size();
  std::size_t pos = 2;
  while (pos + 2 <= n) {
    if (b[pos] != 0xFF) {
      header.malformed = true;  // lost sync: not a marker where one must be
      return;
    }
    const std::uint8_t marker = b[pos + 1];
    if (marker == 0xFF) { ++pos; continue; }
    if (marker == 0xD9) { header.complete = true; return; }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { pos += 2; continue; }
    if (pos + 4 > n) return;
    const std::size_t length = be16(&b[pos + 2]);
    if (length < 2 || pos + 2 + length > n) return;
    if (is_sof(marker) && length >= 7 && header.width == 0) {
      header.height = static_cast<int>(be16(&b[pos + 5]));
      header.width = static_cast<int>(be16(&b[pos + 7]));
    }
    pos += 2 + length;
    if (marker == 0xDA) {
      // Entropy-coded data: 0xFF is followed by 0x00 (stuffing) or a restart marker.
      while (pos + 1 < n && !(b[pos] == 0xFF && b[pos + 1] != 0x00 && !(b[pos + 1] >= 0xD0 && b[pos + 1] <= 0xD7))) {
        ++pos;
      }
      if (pos + 1 >= n) return;
    }
  }
}

// PNG: IHDR gives the size; the file is complete when chunks walk to IEND.
void walk_png(const std::vector<std::uint8_t>& b, ImageHeader& header) {
  if (b.size() >= 24 && starts_with(b, "IHDR", 12)) {
    set_size(header, be32(&b[16]), be32(&b[20]));  // PNG allows up to 2^31 - 1
  }
  std::size_t pos = 8;
  while (pos + 12 <= b.size()) {
    const std::uint64_t length = be32(&b[pos]);
    if (std::memcmp(&b[pos + 4], "IEND", 4) == 0) { header.complete = true; return; }
    pos += 12 + length;
  }
}

void read_webp(const std::vector<std::uint8_t>& b, ImageHeader& header) {
  header.complete = b.size() >= 8 && std::uint64_t{le32(&b[4])} + 8 <= b.size();
  if (b.size() < 30) return;
  if (starts_with(b, "VP8 ", 12)) {
    set_size(header, le16(&b[26]) & 0x3FFF, le16(&b[28]) & 0x3FFF);
  } else if (starts_with(b, "VP8L", 12)) {
    const std::uint32_t bits = le32(&b[21]);
    set_size(header, (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1);
  } else if (starts_with(b, "VP8X", 12)) {
    set_size(header, (b[24] | (b[25] << 8) | (b[26] << 16)) + 1, (b[27] | (b[28] << 8) | (b[29] << 16)) + 1);
  }
}

// BMP: the info header's size tells its kind. The old OS/2 header has 16-bit sides;
// the others signed 32-bit ones, a negative height meaning rows stored top-down.
void read_bmp(const std::vector<std::uint8_t>& b, ImageHeader& header) {
  header.complete = le32(&b[2]) <= b.size();
  if (le32(&b[14]) == 12) {
    set_size(header, le16(&b[18]), le16(&b[20]));
    return;
  }
  const std::int64_t width = static_cast<std::int32_t>(le32(&b[18]));
  const std::int64_t height = static_cast<std::int32_t>(le32(&b[22]));
  set_size(header, width, height < 0 ? -height : height);
}

// TIFF: the first directory gives the size. It may lie anywhere in the file (often
// after the pixels), and the strips may too: completeness is left to the decoder.
void read_tiff(const std::vector<std::uint8_t>& b, ImageHeader& header) {
  header.complete = true;
  const auto width = first_ifd_value(b.data(), b.size(), 256);
  const auto height = first_ifd_value(b.data(), b.size(), 257);
  if (width && height) set_size(header, *width, *height);
}

}  // namespace

ImageHeader read_image_header(const std::vector<std::uint8_t>& b) {
  ImageHeader header;
  if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) {
    header.format = "jpeg";
    walk_jpeg(b, header);
  } else if (starts_with(b, "\x89PNG\r\n\x1a\n")) {
    header.format = "png";
    walk_png(b, header);
  } else if (starts_with(b, "RIFF") && starts_with(b, "WEBP", 8)) {
    header.format = "webp";
    read_webp(b, header);
  } else if (starts_with(b, "BM") && b.size() >= 26) {
    header.format = "bmp";
    read_bmp(b, header);
  } else if (starts_with(b, "GIF8") && b.size() >= 10) {
    header.format = "gif";
    set_size(header, le16(&b[6]), le16(&b[8]));
    header.complete = true;
  } else if (is_tiff(b.data(), b.size())) {
    header.format = "tiff";
    read_tiff(b, header);
  } else {
    header.complete = true;  // unknown to us: let the decoder judge
  }
  return header;
}

}  // namespace smartcrop

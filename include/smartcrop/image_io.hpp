#pragma once
// Decoding photos (EXIF orientation applied) and writing images atomically.

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "smartcrop/file_regions.hpp"

namespace smartcrop {

struct LoadOptions {
  // Refuse images with more pixels than this (decompression-bomb guard); 0 = no limit.
  std::int64_t max_pixels = 178'956'970;  // same default as Pillow's bomb warning x2
  bool read_regions = true;  // read the face/focus regions in the metadata (--regions auto)
};

struct DecodedImage {
  cv::Mat pixels;         // 8-bit, 3-channel BGR, upright (EXIF orientation applied)
  cv::Mat original;       // as decoded (any depth/channels, alpha kept), upright
  int orientation = 1;    // EXIF orientation tag that was applied (1 = none)
  FileRegions regions;    // regions stored in the file's metadata, upright (LoadOptions::read_regions)
  int width() const { return pixels.cols; }
  int height() const { return pixels.rows; }
};

// Reads and decodes the image at `path`. Throws smartcrop::Error naming the path
// and the reason (missing, not a regular file, unreadable, not an image, too many
// pixels). FIFOs, sockets and devices are refused before any open that could block.
DecodedImage load_image(const std::string& path, const LoadOptions& options = {});

// Returns the first `max_bytes` bytes of the file at `path` (fewer if it is shorter).
// Like load_image, refuses anything but a regular file (a FIFO or device would block)
// with smartcrop::Error "PATH: not a regular file".
std::vector<std::uint8_t> read_file_head(const std::string& path, std::size_t max_bytes);

// Decodes an image already read into memory; `path` only names it in errors.
DecodedImage decode_image(const std::string& path, const std::vector<std::uint8_t>& bytes,
                          const LoadOptions& options = {});

// What the first bytes of a file say, before any decoding.
struct ImageHeader {
  std::string format;     // "jpeg", "png", "webp", "bmp", "gif", "tiff", or "" if not recognised
  int width = 0;          // stored size (before EXIF orientation); 0 if unknown
  int height = 0;
  bool complete = false;  // the file reaches its format's end marker (not truncated)
  bool malformed = false; // the structure breaks before the end (corrupt rather than cut short)
};

// Returns the format, stored size and completeness read from `bytes` without decoding.
ImageHeader read_image_header(const std::vector<std::uint8_t>& bytes);

struct WriteOptions {
  int jpeg_quality = 92;  // 1..100, also WebP quality
  bool overwrite = true;  // false: never replace an existing file (checked atomically at the link)
  // With overwrite false: a file that has the name, already or by the time this one is
  // linked (another run wrote it), is kept and reported as such, not an error.
  bool keep_existing = false;
};

// Returns true if write_image_atomic can encode to the extension of `path`
// (.jpg/.jpeg/.png/.webp/.tif/.tiff/.bmp, any case).
bool is_writable_format(const std::string& path);

// Encodes `image` by the extension of `path` and writes it so that no reader ever sees
// a half-written file, whatever other writers aim at the same name (src/io/atomic_file.hpp:
// an anonymous or per-writer temp file, linked or renamed into place). PNG keeps alpha and
// 16 bits; JPEG/BMP get 8-bit without alpha. Returns true when written, false when
// `options.keep_existing` kept a file of that name. Throws smartcrop::Error naming the
// path, also for an existing file without overwrite or keep_existing.
bool write_image_atomic(const std::string& path, const cv::Mat& image, const WriteOptions& options = {});

// Returns the EXIF orientation (1..8) found in JPEG bytes, or 1 if there is none.
int read_exif_orientation(const std::vector<std::uint8_t>& bytes);

// Returns `image` turned upright for EXIF orientation 1..8.
cv::Mat apply_orientation(const cv::Mat& image, int orientation);

}  // namespace smartcrop

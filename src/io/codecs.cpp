#include "codecs.hpp"

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include <jpeglib.h>
#include <png.h>
#include <webp/decode.h>
#include <webp/encode.h>

#include <opencv2/imgproc.hpp>

#include "plugin_library.hpp"
#include "smartcrop/error.hpp"

namespace smartcrop {

namespace {

// libjpeg reports errors through error_exit, which must not return: jump back to
// the setjmp of the call. Warnings (corrupt data it can decode past) stay quiet,
// as they were with OpenCV: truncation is caught from the header beforehand.
struct JpegErrors {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
};

void jpeg_fail(j_common_ptr info) { std::longjmp(reinterpret_cast<JpegErrors*>(info->err)->jump, 1); }
void jpeg_quiet(j_common_ptr, int) {}

void install_jpeg_errors(JpegErrors& errors, jpeg_common_struct& info) {
  info.err = jpeg_std_error(&errors.manager);
  errors.manager.error_exit = jpeg_fail;
  errors.manager.emit_message = jpeg_quiet;
}

// Adobe-style (inverted) CMYK, as Photoshop and PIL write it, to BGR: OpenCV's
// icvCvt_CMYK2BGR_8u_C4C3R, so crops look as they did.
cv::Mat cmyk_to_bgr(const cv::Mat& cmyk) {
  cv::Mat bgr(cmyk.size(), CV_8UC3);
  for (int y = 0; y < cmyk.rows; ++y) {
    const auto* in = cmyk.ptr<cv::Vec4b>(y);
    auto* out = bgr.ptr<cv::Vec3b>(y);
    for (int x = 0; x < cmyk.cols; ++x) {
      const int k = in[x][3];
      const auto ink = [k](int c) { return static_cast<uchar>(k - ((255 - c) * k >> 8)); };
      out[x] = cv::Vec3b(ink(in[x][2]), ink(in[x][1]), ink(in[x][0]));
    }
  }
  return bgr;
}

// Fills `image`; false if libjpeg gave up. (`image` lives in the caller so that
// nothing the longjmp skips over owns memory.)
bool decode_jpeg(const std::vector<std::uint8_t>& bytes, cv::Mat& image) {
  jpeg_decompress_struct info{};
  JpegErrors errors;
  install_jpeg_errors(errors, *reinterpret_cast<jpeg_common_struct*>(&info));
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&info);
    return false;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&info, TRUE);
  int channels = 3;
  if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) {
    info.out_color_space = JCS_CMYK;
    channels = 4;
  } else if (info.num_components == 1) {
    info.out_color_space = JCS_GRAYSCALE;
    channels = 1;
  } else {
    info.out_color_space = JCS_EXT_BGR;
  }
  jpeg_start_decompress(&info);
  image.create(static_cast<int>(info.output_height), static_cast<int>(info.output_width), CV_8UC(channels));
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = image.ptr(static_cast<int>(info.output_scanline));
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  if (channels == 4) image = cmyk_to_bgr(image);
  return true;
}

bool encode_jpeg(const cv::Mat& pixels, int quality, std::vector<std::uint8_t>& out) {
  jpeg_compress_struct info{};
  JpegErrors errors;
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  install_jpeg_errors(errors, *reinterpret_cast<jpeg_common_struct*>(&info));
  if (setjmp(errors.jump)) {
    jpeg_destroy_compress(&info);
    std::free(buffer);
    return false;
  }
  jpeg_create_compress(&info);
  jpeg_mem_dest(&info, &buffer, &size);
  info.image_width = static_cast<JDIMENSION>(pixels.cols);
  info.image_height = static_cast<JDIMENSION>(pixels.rows);
  info.input_components = pixels.channels();
  info.in_color_space = pixels.channels() == 1 ? JCS_GRAYSCALE : JCS_EXT_BGR;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  jpeg_start_compress(&info, TRUE);
  while (info.next_scanline < info.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(pixels.ptr(static_cast<int>(info.next_scanline)));
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  out.assign(buffer, buffer + size);
  std::free(buffer);
  return true;
}

struct PngSource {
  const std::vector<std::uint8_t>* bytes;
  std::size_t offset;
};

void png_fail(png_structp png, png_const_charp) { png_longjmp(png, 1); }
void png_quiet(png_structp, png_const_charp) {}

void png_read_bytes(png_structp png, png_bytep out, png_size_t count) {
  auto* source = static_cast<PngSource*>(png_get_io_ptr(png));
  if (source->offset + count > source->bytes->size()) png_error(png, "truncated");
  std::memcpy(out, source->bytes->data() + source->offset, count);
  source->offset += count;
}

void png_write_bytes(png_structp png, png_bytep data, png_size_t count) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + count);
}

void png_flush_nothing(png_structp) {}

// As OpenCV's PNG decoder with IMREAD_UNCHANGED: palette and low bit depths
// expanded, transparency as an alpha channel, gray with alpha as BGRA, 16 bits kept.
bool decode_png(const std::vector<std::uint8_t>& bytes, cv::Mat& image, std::vector<png_bytep>& rows) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, png_fail, png_quiet);
  if (png == nullptr) return false;
  png_infop info = png_create_info_struct(png);
  PngSource source{&bytes, 0};
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_set_read_fn(png, &source, png_read_bytes);
  png_read_info(png, info);
  png_uint_32 width = 0, height = 0;
  int depth = 0, color = 0;
  png_get_IHDR(png, info, &width, &height, &depth, &color, nullptr, nullptr, nullptr);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  const bool transparency = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
  if (transparency) png_set_tRNS_to_alpha(png);
  if ((color & PNG_COLOR_MASK_COLOR) == 0 && ((color & PNG_COLOR_MASK_ALPHA) != 0 || transparency)) {
    png_set_gray_to_rgb(png);
  }
  if (depth == 16) png_set_swap(png);  // PNG is big-endian; cv::Mat holds host (little-endian) order
  png_set_bgr(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const int channels = png_get_channels(png, info);
  const int out_depth = png_get_bit_depth(png, info);
  image.create(static_cast<int>(height), static_cast<int>(width), CV_MAKETYPE(out_depth == 16 ? CV_16U : CV_8U, channels));
  rows.resize(height);
  for (png_uint_32 y = 0; y < height; ++y) rows[y] = image.ptr(static_cast<int>(y));
  png_read_image(png, rows.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

bool encode_png(const cv::Mat& pixels, std::vector<std::uint8_t>& out, std::vector<png_bytep>& rows) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, png_fail, png_quiet);
  if (png == nullptr) return false;
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, &out, png_write_bytes, png_flush_nothing);
  png_set_compression_level(png, 3);
  const int channels = pixels.channels();
  const int color = channels == 1 ? PNG_COLOR_TYPE_GRAY : channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGB_ALPHA;
  png_set_IHDR(png, info, static_cast<png_uint_32>(pixels.cols), static_cast<png_uint_32>(pixels.rows),
               pixels.depth() == CV_16U ? 16 : 8, color, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_set_bgr(png);
  if (pixels.depth() == CV_16U) png_set_swap(png);
  rows.resize(static_cast<std::size_t>(pixels.rows));
  for (int y = 0; y < pixels.rows; ++y) rows[static_cast<std::size_t>(y)] = const_cast<png_bytep>(pixels.ptr(y));
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

cv::Mat decode_webp(const std::vector<std::uint8_t>& bytes) {
  WebPBitstreamFeatures features;
  if (WebPGetFeatures(bytes.data(), bytes.size(), &features) != VP8_STATUS_OK) return cv::Mat();
  cv::Mat image(features.height, features.width, features.has_alpha ? CV_8UC4 : CV_8UC3);
  const std::size_t size = image.step * static_cast<std::size_t>(image.rows);
  const int stride = static_cast<int>(image.step);
  const uint8_t* done = features.has_alpha
                            ? WebPDecodeBGRAInto(bytes.data(), bytes.size(), image.data, size, stride)
                            : WebPDecodeBGRInto(bytes.data(), bytes.size(), image.data, size, stride);
  return done != nullptr ? image : cv::Mat();
}

bool encode_webp(const cv::Mat& pixels, int quality, std::vector<std::uint8_t>& out) {
  cv::Mat colour = pixels;
  if (pixels.channels() == 1) cv::cvtColor(pixels, colour, cv::COLOR_GRAY2BGR);
  std::uint8_t* buffer = nullptr;
  const int stride = static_cast<int>(colour.step);
  const std::size_t size =
      colour.channels() == 4 ? WebPEncodeBGRA(colour.data, colour.cols, colour.rows, stride, quality, &buffer)
                             : WebPEncodeBGR(colour.data, colour.cols, colour.rows, stride, quality, &buffer);
  if (size > 0) out.assign(buffer, buffer + size);
  WebPFree(buffer);
  return size > 0;
}

const ImgcodecsPlugin& imgcodecs_plugin() {
  static std::once_flag once;
  static const ImgcodecsPlugin* plugin = nullptr;
  static std::string failure_path, failure_reason;
  std::call_once(once, [] {
    const std::string fix = "reinstall smartcrop (cmake --install build puts it beside smartcrop-engine); "
                            "JPEG, PNG and WebP need no plugin";
    try {
      auto entry = reinterpret_cast<ImgcodecsPluginEntry>(
          open_plugin_entry(kImgcodecsPluginFile, kImgcodecsPluginEntry, fix));
      plugin = entry(kImgcodecsPluginInterface);
      if (plugin == nullptr) {
        throw Error(plugin_path(kImgcodecsPluginFile), "the plugin is from another smartcrop version; " + fix);
      }
    } catch (const Error& e) {
      failure_path = e.path();
      failure_reason = e.reason();
    }
  });
  if (plugin == nullptr) throw Error(failure_path, failure_reason);
  return *plugin;
}

}  // namespace

cv::Mat decode_pixels(const std::vector<std::uint8_t>& bytes, const std::string& format) {
  cv::Mat image;
  std::vector<png_bytep> rows;
  if (format == "jpeg") return decode_jpeg(bytes, image) ? image : cv::Mat();
  if (format == "png") return decode_png(bytes, image, rows) ? image : cv::Mat();
  if (format == "webp") return decode_webp(bytes);
  return imgcodecs_plugin().decode(bytes);
}

bool encode_pixels(const std::string& ext, const cv::Mat& pixels, int quality, std::vector<std::uint8_t>& out) {
  out.clear();
  std::vector<png_bytep> rows;
  if (ext == ".jpg" || ext == ".jpeg") return pixels.depth() == CV_8U && encode_jpeg(pixels, quality, out);
  if (ext == ".png") return encode_png(pixels, out, rows);
  if (ext == ".webp") return pixels.depth() == CV_8U && encode_webp(pixels, quality, out);
  return imgcodecs_plugin().encode(ext, pixels, {}, out);
}

}  // namespace smartcrop

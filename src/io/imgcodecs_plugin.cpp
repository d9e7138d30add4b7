// libsmartcrop_imgcodecs.so: OpenCV's imgcodecs behind ImgcodecsPlugin, for the
// formats smartcrop does not decode itself (src/io/codecs.hpp says why).
#include <cstring>

#include <opencv2/imgcodecs.hpp>

#include "io/codecs.hpp"

namespace smartcrop {

namespace {

class OpenCvImgcodecs final : public ImgcodecsPlugin {
 public:
  cv::Mat decode(const std::vector<std::uint8_t>& bytes) const override {
    try {
      return cv::imdecode(bytes, cv::IMREAD_UNCHANGED | cv::IMREAD_IGNORE_ORIENTATION);
    } catch (const cv::Exception&) {
      return cv::Mat();
    }
  }
  bool encode(const std::string& ext, const cv::Mat& pixels, const std::vector<int>& params,
              std::vector<std::uint8_t>& out) const override {
    try {
      return cv::imencode(ext, pixels, out, params);
    } catch (const cv::Exception&) {
      return false;
    }
  }
};

}  // namespace

}  // namespace smartcrop

extern "C" __attribute__((visibility("default"))) const smartcrop::ImgcodecsPlugin* smartcrop_imgcodecs_plugin(
    const char* interface) {
  static const smartcrop::OpenCvImgcodecs plugin;
  if (interface == nullptr || std::strcmp(interface, smartcrop::kImgcodecsPluginInterface) != 0) return nullptr;
  return &plugin;
}

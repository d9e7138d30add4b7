// The built-in, model-free saliency backend: three cheap OpenCV cues, each
// normalised to mean 1, weighted by how concentrated it is, and summed (chosen
// on the evaluation set, docs/QUALITY.md):
//   - fine-grained centre-surround contrast (Montabone & Soto 2010): detail
//     (OpenCV's algorithm and values, computed by fine_grained.cpp: faster);
//   - spectral residual (Hou & Zhang 2007): what stands out of the image's
//     average spectrum, at a coarse scale (64 px short side, aspect kept);
//   - border contrast, squared: colour distance from the photo's edges (the
//     boundary prior of salient-object detection: edges are mostly background).
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include <opencv2/imgproc.hpp>
#include <opencv2/saliency.hpp>

#include "smartcrop/backend_factory.hpp"
#include "smartcrop/cpu_time.hpp"
#include "smartcrop/error.hpp"
#include "saliency/area_resize.hpp"
#include "saliency/fine_grained.hpp"

namespace smartcrop {

namespace {

constexpr int kMaxLongSide = 1024;  // keeps panoramas from costing more than a photo
constexpr int kSpectralShortSide = 64;  // OpenCV's default spectral size (64 x 64), but keeping the aspect

// Returns `map` scaled to mean 1, as CV_32F; all zero if the map is flat (spread
// under 1% of its mean): spectral residual min-max normalises, so on a blank
// photo it would otherwise blow rounding noise up into a full-strength cue.
cv::Mat unit_mean(const cv::Mat& map) {
  cv::Mat out;
  map.convertTo(out, CV_32F);
  cv::Scalar mean, stddev;
  cv::meanStdDev(out, mean, stddev);
  if (!(mean[0] > 0.0) || stddev[0] < 0.01 * mean[0]) return cv::Mat::zeros(out.size(), CV_32F);
  return out * (1.0 / mean[0]);
}

// 8-bit BGR to 8-bit Lab as OpenCV's cvtColor(COLOR_BGR2Lab) encodes it (D65 sRGB;
// L * 255/100, a + 128, b + 128), within 1-3 units of its table-interpolated
// result. cvtColor's first Lab call builds its tables in soft-float arithmetic:
// 120 ms of a single-photo run (docs/PERFORMANCE.md, "Start-up"); this costs
// ~1 ms on the 120 px image border_contrast uses.
cv::Mat bgr_to_lab8(const cv::Mat& bgr) {
  static const std::array<float, 256> linear = [] {
    std::array<float, 256> table{};
    for (int i = 0; i < 256; ++i) {
      const double v = i / 255.0;
      table[i] = static_cast<float>(v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4));
    }
    return table;
  }();
  const auto f = [](float t) { return t > 0.008856f ? std::cbrt(t) : 7.787f * t + 16.0f / 116.0f; };
  cv::Mat lab(bgr.size(), CV_8UC3);
  for (int y = 0; y < bgr.rows; ++y) {
    const auto* in = bgr.ptr<cv::Vec3b>(y);
    auto* out = lab.ptr<cv::Vec3b>(y);
    for (int x = 0; x < bgr.cols; ++x) {
      const float b = linear[in[x][0]], g = linear[in[x][1]], r = linear[in[x][2]];
      const float fx = f((0.412453f * r + 0.357580f * g + 0.180423f * b) / 0.950456f);
      const float yy = 0.212671f * r + 0.715160f * g + 0.072169f * b;
      const float fy = f(yy);
      const float fz = f((0.019334f * r + 0.119193f * g + 0.950227f * b) / 1.088754f);
      const float lightness = yy > 0.008856f ? 116.0f * fy - 16.0f : 903.3f * yy;
      out[x] = cv::Vec3b(cv::saturate_cast<uchar>(lightness * 2.55f), cv::saturate_cast<uchar>(500.0f * (fx - fy) + 128.0f),
                         cv::saturate_cast<uchar>(200.0f * (fy - fz) + 128.0f));
    }
  }
  return lab;
}

// Colour distance (Lab, in units of the strip's spread) of every pixel from the
// nearest of the four border strips; squared so that only clear outliers count.
// Computed at half the analysis size (a region cue: detail does not matter) and
// scaled back up.
cv::Mat border_contrast(const cv::Mat& bgr) {
  cv::Mat half, lab;
  cv::resize(bgr, half, cv::Size(std::max(1, bgr.cols / 2), std::max(1, bgr.rows / 2)), 0, 0, cv::INTER_AREA);
  bgr_to_lab8(half).convertTo(lab, CV_32F);
  cv::GaussianBlur(lab, lab, cv::Size(3, 3), 0);
  const int b = std::max(1, std::min(lab.cols, lab.rows) / 12);
  const cv::Rect strips[] = {{0, 0, lab.cols, b},
                             {0, lab.rows - b, lab.cols, b},
                             {0, 0, b, lab.rows},
                             {lab.cols - b, 0, b, lab.rows}};
  cv::Mat nearest(lab.size(), CV_32F, cv::Scalar(std::numeric_limits<float>::max()));
  for (const cv::Rect& strip : strips) {
    cv::Scalar mean, stddev;
    cv::meanStdDev(lab(strip), mean, stddev);
    // +8 Lab units: a flat strip (sky, wall) must not make every pixel an outlier.
    const float spread = static_cast<float>((stddev[0] + stddev[1] + stddev[2]) / 3.0 + 8.0);
    const float inv_sq = 1.0f / (spread * spread);
    for (int y = 0; y < lab.rows; ++y) {
      const auto* px = lab.ptr<cv::Vec3f>(y);
      float* out = nearest.ptr<float>(y);
      for (int x = 0; x < lab.cols; ++x) {
        const float d0 = px[x][0] - static_cast<float>(mean[0]);
        const float d1 = px[x][1] - static_cast<float>(mean[1]);
        const float d2 = px[x][2] - static_cast<float>(mean[2]);
        out[x] = std::min(out[x], (d0 * d0 + d1 * d1 + d2 * d2) * inv_sq);  // squared distance
      }
    }
  }
  cv::resize(nearest, nearest, bgr.size(), 0, 0, cv::INTER_LINEAR);
  return nearest;
}

// Returns the share of `cue`'s total held by its top 20% pixels, squared:
// 0.04 for a flat cue, up to 1 for one that singles out a small region. A cue
// that picks out one region is more telling than one spread over the photo
// (the idea of Itti, Koch & Niebur 1998's map normalisation), so it weighs more.
double concentration(const cv::Mat& cue) {
  CV_Assert(cue.type() == CV_32F && cue.isContinuous());  // as unit_mean makes it
  const float* values = cue.ptr<float>(0);
  return top_share_concentration(std::vector<float>(values, values + cue.total()), cv::sum(cue)[0]);
}

// Spectral residual at kSpectralShortSide on the short side, aspect kept (OpenCV's
// default squashes every photo to 64 x 64), scaled back to the size of `small`.
cv::Mat spectral_residual(cv::saliency::StaticSaliencySpectralResidual& spectral, const cv::Mat& small,
                          const std::string& path) {
  const double k = static_cast<double>(kSpectralShortSide) / std::min(small.cols, small.rows);
  spectral.setImageWidth(std::max(1, static_cast<int>(std::lround(small.cols * k))));
  spectral.setImageHeight(std::max(1, static_cast<int>(std::lround(small.rows * k))));
  cv::Mat map;
  if (!spectral.computeSaliency(small, map)) throw Error(path, "saliency computation failed");
  if (map.size() != small.size()) cv::resize(map, map, small.size(), 0, 0, cv::INTER_LINEAR);
  return map;
}

// Gradient magnitude of the grey image (Sobel, 3 x 3), scaled to mean 1: where
// a window's border would slice through an object or a horizon.
cv::Mat edge_energy(const cv::Mat& small) {
  cv::Mat grey, gx, gy, magnitude;
  cv::cvtColor(small, grey, cv::COLOR_BGR2GRAY);
  cv::Sobel(grey, gx, CV_32F, 1, 0, 3);
  cv::Sobel(grey, gy, CV_32F, 0, 1, 3);
  cv::magnitude(gx, gy, magnitude);
  return unit_mean(magnitude);
}

// Copies a CV_32F map into a ScoreMap with the given original pixels per map pixel.
ScoreMap to_score_map(const cv::Mat& map, double sx, double sy) {
  ScoreMap out(map.cols, map.rows, sx, sy);
  for (int y = 0; y < map.rows; ++y) {
    const float* row = map.ptr<float>(y);
    std::copy(row, row + map.cols, out.values.begin() + static_cast<std::ptrdiff_t>(y) * map.cols);
  }
  return out;
}

class BuiltinSaliencyBackend final : public SaliencyBackend {
 public:
  // The spectral detector is made once per backend and reused for every photo;
  // fork() gives another thread its own.
  explicit BuiltinSaliencyBackend(SaliencyParams params)
      : params_(params), spectral_(cv::saliency::StaticSaliencySpectralResidual::create()) {}
  std::string name() const override { return "saliency"; }
  std::string description() const override {
    return "built-in saliency (fine-grained + spectral residual + border contrast, OpenCV)";
  }
  std::unique_ptr<SaliencyBackend> fork() const override { return std::make_unique<BuiltinSaliencyBackend>(params_); }

  SaliencyResult compute(const cv::Mat& bgr, const std::string& path) override {
    if (bgr.empty()) throw Error(path, "empty image");
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = thread_cpu_seconds();
    // Half the DINO input size: these cues are local, and at 240 px a 1 MP photo costs
    // ~10 ms of CPU (docs/PERFORMANCE.md, "Built-in backend per megapixel").
    const int short_side = std::max(16, params_.input_size / 2);
    const double scale = std::min(static_cast<double>(short_side) / std::min(bgr.cols, bgr.rows),
                                  static_cast<double>(kMaxLongSide) / std::max(bgr.cols, bgr.rows));
    const int w = std::max(1, static_cast<int>(std::lround(bgr.cols * scale)));
    const int h = std::max(1, static_cast<int>(std::lround(bgr.rows * scale)));
    cv::Mat small;
    try {
      if (scale < 1.0) {
        small = area_downscale(bgr, cv::Size(w, h));  // cv::INTER_AREA's bytes
      } else {
        cv::resize(bgr, small, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
      }
      const cv::Mat fine = fine_grained_saliency(small);
      SaliencyResult result;
      const double sx = static_cast<double>(bgr.cols) / w, sy = static_cast<double>(bgr.rows) / h;
      cv::Mat combined = cv::Mat::zeros(small.size(), CV_32F);
      const char* names[] = {"fine", "spectral", "border"};
      int k = 0;
      for (const cv::Mat& raw : {fine, spectral_residual(*spectral_, small, path), border_contrast(small)}) {
        const cv::Mat cue = unit_mean(raw);
        combined += cue * concentration(cue);
        result.evidence.cue_names.emplace_back(names[k++]);
        result.evidence.cues.push_back(to_score_map(cue, sx, sy));
      }
      result.evidence.edges = to_score_map(edge_energy(small), sx, sy);
      result.attention = to_score_map(combined, sx, sy);
      result.evidence.saliency = result.attention;
      result.evidence.gate = top_share_concentration(result.attention);
      result.score = box_blur(result.attention, scaled_blur_window(params_.blur_px, std::min(w, h)));
      result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      result.cpu_seconds = thread_cpu_seconds() - cpu_start;
      return result;
    } catch (const cv::Exception& e) {
      throw Error(path, std::string("saliency: ") + e.what());
    }
  }

 private:
  SaliencyParams params_;
  cv::Ptr<cv::saliency::StaticSaliencySpectralResidual> spectral_;
};

}  // namespace

std::unique_ptr<SaliencyBackend> make_builtin_saliency_backend(const SaliencyParams& params) {
  return std::make_unique<BuiltinSaliencyBackend>(params);
}

}  // namespace smartcrop

// The comparison strip as a person sees it: decoded from disk, panels in place,
// the smart crop showing the subject the centre crop misses, the outline where
// the reported box is.
#include "smartcrop/comparison.hpp"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "smartcrop/error.hpp"

namespace fs = std::filesystem;
using namespace smartcrop;

namespace {

// A textured grey photo with a red disc (the subject) at (cx, cy).
cv::Mat make_photo(int width, int height, int cx, int cy, int radius) {
  cv::Mat photo(height, width, CV_8UC3);
  cv::randu(photo, cv::Scalar(90, 90, 90), cv::Scalar(140, 140, 140));
  cv::GaussianBlur(photo, photo, cv::Size(5, 5), 0);
  cv::circle(photo, cv::Point(cx, cy), radius, cv::Scalar(30, 30, 230), cv::FILLED);
  return photo;
}

// A plan whose attention is a blob on the subject, with maps of `cell` px per map
// pixel that may stop short of the photo's right and bottom edges.
CropPlan make_plan(int width, int height, int cx, int cy, const std::vector<std::string>& ratios, int cell = 10) {
  SaliencyResult saliency;
  saliency.attention = ScoreMap(width / cell, height / cell, cell, cell);
  for (int y = 0; y < saliency.attention.height; ++y) {
    for (int x = 0; x < saliency.attention.width; ++x) {
      const double dx = (x + 0.5) * cell - cx, dy = (y + 0.5) * cell - cy;
      saliency.attention.at(x, y) = static_cast<float>(0.02 + std::exp(-(dx * dx + dy * dy) / (2.0 * 40 * 40)));
    }
  }
  saliency.score = box_blur(saliency.attention, 5);
  CropParams params;
  for (const auto& r : ratios) params.ratios.push_back(parse_ratio(r));
  return plan_crops(saliency, width, height, params);
}

std::string temp_path(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("smartcrop_comparison_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return (dir / name).string();
}

const ComparisonPanel& find_panel(const ComparisonStrip& strip, PanelKind kind, int crop = -1) {
  for (const auto& p : strip.panels) {
    if (p.kind == kind && (crop < 0 || p.crop_index == crop)) return p;
  }
  throw std::runtime_error("panel not found");
}

bool near_colour(const cv::Vec3b& pixel, const cv::Scalar& colour, int tolerance = 40) {
  for (int c = 0; c < 3; ++c) {
    if (std::abs(pixel[c] - static_cast<int>(colour[c])) > tolerance) return false;
  }
  return true;
}

int count_red(const cv::Mat& image) {
  cv::Mat mask;
  cv::inRange(image, cv::Scalar(0, 0, 170), cv::Scalar(90, 90, 255), mask);
  return cv::countNonZero(mask);
}

}  // namespace

TEST(Comparison, WrittenStripDecodesAtTheBuiltSizeWithinTheMaximumWidth) {
  const cv::Mat photo = make_photo(600, 400, 540, 200, 40);
  const CropPlan plan = make_plan(600, 400, 540, 200, {"1:1"});
  CompareOptions options;
  options.max_width = 1200;
  const ComparisonStrip strip = build_comparison(photo, plan, options);
  for (const std::string ext : {".png", ".jpg"}) {
    const std::string path = temp_path("strip" + ext);
    write_comparison(path, photo, plan, options);
    const cv::Mat decoded = cv::imread(path);
    ASSERT_FALSE(decoded.empty()) << path;
    EXPECT_EQ(decoded.size(), strip.image.size()) << path;
    EXPECT_LE(decoded.cols, 1200);
  }
  EXPECT_EQ(strip.panels.size(), 5u);
}

TEST(Comparison, EveryPanelHasContentAndSharesOneHeight) {
  const cv::Mat photo = make_photo(600, 400, 540, 200, 40);
  const ComparisonStrip strip = build_comparison(photo, make_plan(600, 400, 540, 200, {"1:1"}));
  const cv::Mat decoded = cv::imdecode([&] {
    std::vector<uchar> bytes;
    cv::imencode(".png", strip.image, bytes);
    return bytes;
  }(), cv::IMREAD_COLOR);
  for (const auto& panel : strip.panels) {
    ASSERT_TRUE((cv::Rect(0, 0, decoded.cols, decoded.rows) & panel.area) == panel.area) << panel.label;
    EXPECT_EQ(panel.area.height, strip.panels.front().area.height) << panel.label;
    cv::Scalar mean, stddev;
    cv::meanStdDev(decoded(panel.area), mean, stddev);
    EXPECT_GT(stddev[0] + stddev[1] + stddev[2], 10.0) << panel.label << " looks blank";
    EXPECT_FALSE(panel.label.empty());
  }
}

TEST(Comparison, SmartCropShowsTheOffCentreSubjectThatTheCentreCropMisses) {
  const cv::Mat photo = make_photo(600, 400, 540, 200, 40);
  const CropPlan plan = make_plan(600, 400, 540, 200, {"1:1"});
  const ComparisonStrip strip = build_comparison(photo, plan);
  const cv::Mat centre = strip.image(find_panel(strip, PanelKind::CentreCrop).area);
  const cv::Mat smart = strip.image(find_panel(strip, PanelKind::SmartCrop).area);
  ASSERT_EQ(centre.size(), smart.size());
  EXPECT_GT(count_red(smart), smart.total() / 50) << "the subject should be in the smart crop";
  EXPECT_EQ(count_red(centre), 0) << "the centre crop of a 600x400 photo misses a subject at x=540";
  cv::Mat diff;
  cv::absdiff(centre, smart, diff);
  EXPECT_GT(cv::mean(diff)[0] + cv::mean(diff)[1] + cv::mean(diff)[2], 15.0);
}

TEST(Comparison, OutlineSitsOnTheReportedBox) {
  const cv::Mat photo = make_photo(900, 600, 350, 260, 50);
  const CropPlan plan = make_plan(900, 600, 350, 260, {"4:5"});
  const Box box = plan.crops[0].box;
  ASSERT_GT(box.x, 0);  // an edge inside the photo, so "outside the box" exists
  const ComparisonStrip strip = build_comparison(photo, plan);
  const ComparisonPanel& panel = find_panel(strip, PanelKind::Original);
  const cv::Mat area = strip.image(panel.area);
  const double sx = double(panel.area.width) / 900, sy = double(panel.area.height) / 600;
  const int x0 = int(std::lround(box.x * sx)), x1 = int(std::lround((box.x + box.width) * sx)) - 1;
  const int y0 = int(std::lround(box.y * sy)), y1 = int(std::lround((box.y + box.height) * sy)) - 1;
  const cv::Scalar colour = crop_colour(0);
  int on_edge = 0, samples = 0, outside = 0;
  // Left and right edges, below the ratio label in the top-left corner.
  for (int y = (y0 + y1) / 2; y <= y1; y += 3) {
    on_edge += near_colour(area.at<cv::Vec3b>(y, x0), colour) + near_colour(area.at<cv::Vec3b>(y, x1), colour);
    samples += 2;
    if (x0 >= 4) outside += near_colour(area.at<cv::Vec3b>(y, x0 - 3), colour);
    if (x1 + 3 < area.cols) outside += near_colour(area.at<cv::Vec3b>(y, x1 + 3), colour);
  }
  // Top and bottom edges, right half.
  for (int x = (x0 + x1) / 2; x <= x1; x += 3) {
    on_edge += near_colour(area.at<cv::Vec3b>(y0, x), colour) + near_colour(area.at<cv::Vec3b>(y1, x), colour);
    samples += 2;
  }
  EXPECT_EQ(on_edge, samples) << "box " << box.x << "," << box.y << " " << box.width << "x" << box.height;
  EXPECT_EQ(outside, 0) << "the outline spills outside the box";
}

TEST(Comparison, PortraitLandscapeAndPanoramaKeepTheirAspect) {
  struct Case {
    int w, h;
  };
  for (const Case c : {Case{400, 800}, Case{800, 500}, Case{4000, 400}, Case{300, 2400}}) {
    const cv::Mat photo = make_photo(c.w, c.h, c.w / 3, c.h / 2, std::min(c.w, c.h) / 8);
    const CropPlan plan = make_plan(c.w, c.h, c.w / 3, c.h / 2, {"16:9", "1:1", "4:5"}, 20);
    const ComparisonStrip strip = build_comparison(photo, plan);
    SCOPED_TRACE(std::to_string(c.w) + "x" + std::to_string(c.h));
    EXPECT_LE(strip.image.cols, CompareOptions{}.max_width);
    EXPECT_EQ(strip.panels.size(), 3u + 2u * plan.crops.size());
    const cv::Rect whole(0, 0, strip.image.cols, strip.image.rows);
    for (std::size_t i = 0; i < strip.panels.size(); ++i) {
      const auto& p = strip.panels[i];
      EXPECT_EQ((whole & p.area), p.area) << p.label;
      EXPECT_EQ(p.area.height, strip.panels[0].area.height) << p.label;
      const double want = p.crop_index < 0 ? double(c.w) / c.h
                                            : double(plan.crops[p.crop_index].box.width) /
                                                  plan.crops[p.crop_index].box.height;
      EXPECT_NEAR(p.area.width, want * p.area.height, 1.0) << p.label << " is squashed";
      for (std::size_t j = 0; j < i; ++j) EXPECT_TRUE((p.area & strip.panels[j].area).empty()) << p.label;
    }
    for (std::size_t k = 0; k < plan.crops.size(); ++k) {
      EXPECT_NO_THROW(find_panel(strip, PanelKind::CentreCrop, int(k)));
      EXPECT_NO_THROW(find_panel(strip, PanelKind::SmartCrop, int(k)));
    }
  }
}

TEST(Comparison, RatiosHaveDistinctColours) {
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < i; ++j) EXPECT_NE(crop_colour(i), crop_colour(j));
  }
  EXPECT_EQ(ratio_display(parse_ratio("16:9")), "16:9");
  EXPECT_EQ(ratio_display(parse_ratio("1.91")), "1.91");
}

TEST(Comparison, UnknownExtensionFailsNamingThePath) {
  const cv::Mat photo = make_photo(300, 200, 100, 100, 20);
  const std::string path = temp_path("strip.gif");
  try {
    write_comparison(path, photo, make_plan(300, 200, 100, 100, {"1:1"}));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.path(), path);
  }
  EXPECT_FALSE(fs::exists(path));
}

// The review page a person opens after a batch: least confident photos first,
// failed photos shown with their error, thumbnails beside it, nothing online.
#include "smartcrop/review_page.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "smartcrop/error.hpp"

namespace fs = std::filesystem;
using namespace smartcrop;

namespace {

fs::path fresh_folder(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("smartcrop_review_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  return dir;
}

CropPlan plan_with_confidence(double confidence) {
  CropPlan plan;
  plan.width = 400;
  plan.height = 300;
  CropChoice choice;
  choice.ratio = parse_ratio("1:1");
  choice.box = Box{50, 0, 300, 300};
  choice.confidence = confidence;
  plan.crops.push_back(choice);
  return plan;
}

cv::Mat strip_image(int width) { return cv::Mat(200, width, CV_8UC3, cv::Scalar(40, 120, 200)); }

// The data-name attributes of the photo sections, in page order.
std::vector<std::string> names_in_order(const std::string& html) {
  std::vector<std::string> names;
  const std::regex section("<section class=\"photo[^\"]*\"[^>]*data-name=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), section); it != std::sregex_iterator(); ++it) {
    names.push_back((*it)[1]);
  }
  return names;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST(ReviewPage, ListsFailedPhotosFirstThenLeastConfidentFirst) {
  const fs::path dir = fresh_folder("order");
  ReviewPage page(dir.string());
  page.add_photo("sure.jpg", strip_image(300), plan_with_confidence(0.92));
  page.add_failure("broken.jpg", "broken.jpg: cannot decode image");
  page.add_photo("doubtful.jpg", strip_image(300), plan_with_confidence(0.31));
  page.add_photo("middling.jpg", strip_image(300), plan_with_confidence(0.64));
  const std::string path = page.write(ReviewSummary{"saliency: test", {{"ratios", "1:1"}}, "2024-01-02 03:04"});
  const std::string html = read_all(path);
  EXPECT_EQ(names_in_order(html),
            (std::vector<std::string>{"broken.jpg", "doubtful.jpg", "middling.jpg", "sure.jpg"}));
  EXPECT_NE(html.find("cannot decode image"), std::string::npos) << "the failure's reason is shown";
  EXPECT_NE(html.find("31%"), std::string::npos);
  EXPECT_NE(html.find("2024-01-02 03:04"), std::string::npos);
  EXPECT_NE(html.find("saliency: test"), std::string::npos);
}

TEST(ReviewPage, WorksOfflineWithLazyThumbnailsInTheFolder) {
  const fs::path dir = fresh_folder("offline");
  ReviewPage page(dir.string(), 800);
  page.add_photo("photos/wide one.jpg", strip_image(2400), plan_with_confidence(0.5));
  const std::string html = read_all(page.write(ReviewSummary{}));
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);

  const std::regex img("<img src=\"([^\"]+)\" loading=\"lazy\"");
  std::smatch match;
  ASSERT_TRUE(std::regex_search(html, match, img)) << html;
  const cv::Mat thumb = cv::imread((dir / match[1].str()).string());
  ASSERT_FALSE(thumb.empty()) << match[1];
  EXPECT_EQ(thumb.cols, 800) << "thumbnails are at screen size";
  EXPECT_EQ(thumb.rows, 67);
}

TEST(ReviewPage, EscapesNamesAndErrors) {
  const fs::path dir = fresh_folder("escape");
  ReviewPage page(dir.string());
  page.add_failure("<b>&odd\".jpg", "no <such> file");
  const std::string html = page.render_html(ReviewSummary{});
  EXPECT_EQ(html.find("<b>&odd"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;&amp;odd&quot;.jpg"), std::string::npos);
  EXPECT_NE(html.find("no &lt;such&gt; file"), std::string::npos);
}

TEST(ReviewPage, UnwritableFolderIsAnError) {
  const fs::path file = fresh_folder("blocker");
  fs::create_directories(file.parent_path());
  std::ofstream(file.string()) << "x";
  EXPECT_THROW(ReviewPage((file / "review").string()), Error);
}

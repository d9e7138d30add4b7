// Output names for batch runs: the --name template and the checks made before any work.
#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "smartcrop/batch_runner.hpp"
#include "smartcrop/output_naming.hpp"

namespace smartcrop {
namespace {

TEST(ExpandName, DefaultTemplateDropsEmptyDir) {
  EXPECT_EQ(expand_name(kDefaultNameTemplate, {"photos/cat.jpg", ""}, "16x9"), "cat_16x9.jpg");
  EXPECT_EQ(expand_name(kDefaultNameTemplate, {"photos/2023/x/cat.JPG", "2023/x"}, "1x1"), "2023/x/cat_1x1.JPG");
}

TEST(ExpandName, UnwritableExtensionBecomesPng) {
  EXPECT_EQ(expand_name("{stem}.{ext}", {"scan.gif", ""}, "1x1"), "scan.png");
  EXPECT_EQ(expand_name("{stem}.{ext}", {"noext", ""}, "1x1"), "noext.jpg");
}

// Found by fuzz_name_template (tests/fuzz/regressions/fuzz_name_template/): a template
// ending in "/" (or only {dir}) named a folder, "..{dir}/" led out of the output folder
// for photos at the top, and a photo called "...jpg" has the stem "..", which led
// {stem}/... out of it too.
TEST(CheckNameTemplate, RejectsTemplatesThatNameAFolder) {
  for (const char* folder : {"{stem}/", "{dir}", "{dir}/{dir}", "x/.", "{stem}/..", "..{dir}"}) {
    EXPECT_THROW(check_name_template(folder), std::invalid_argument) << folder;
  }
  // Out of the output folder, also once an empty {dir} is gone (dot-dot-before-empty-dir).
  for (const char* outside : {"../{stem}.jpg", "a/../../{stem}.jpg", "..{dir}/{stem}.jpg"}) {
    EXPECT_THROW(check_name_template(outside), std::invalid_argument) << outside;
  }
  EXPECT_NO_THROW(check_name_template("dir/rid"));
  EXPECT_NO_THROW(check_name_template("{stem}/{dir}x.jpg"));
}

TEST(ExpandName, DotDotStemStaysInsideTheOutputFolder) {
  EXPECT_EQ(expand_name("{stem}/{ratio}.{ext}", {"in/...jpg", ""}, "3x2"), "__/3x2.jpg");
  EXPECT_EQ(expand_name("{stem}", {"in/..jpg", ""}, "3x2"), "_");  // not ".", the output folder
}

TEST(CheckNameTemplate, RejectsUnknownUnclosedAbsoluteAndEmpty) {
  EXPECT_NO_THROW(check_name_template("{dir}/thumb-{stem}-{ratio}.webp"));
  EXPECT_THROW(check_name_template("{stem}_{size}.jpg"), std::invalid_argument);
  EXPECT_THROW(check_name_template("{stem.jpg"), std::invalid_argument);
  EXPECT_THROW(check_name_template("/abs/{stem}.jpg"), std::invalid_argument);
  EXPECT_THROW(check_name_template(""), std::invalid_argument);
}

TEST(NamingConflicts, SameStemInTwoFoldersCollidesWithoutDir) {
  const std::vector<InputFile> inputs{{"in/a/x.jpg", "a"}, {"in/b/x.jpg", "b"}};
  const std::vector<AspectRatio> ratios{parse_ratio("16:9")};
  auto flat = plan_output_paths(inputs, ratios, "out", true, "{stem}_{ratio}.{ext}");
  const auto conflicts = find_naming_conflicts(inputs, flat);
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].path, "out/x_16x9.jpg");
  EXPECT_NE(conflicts[0].reason.find("in/a/x.jpg and in/b/x.jpg"), std::string::npos);
  EXPECT_TRUE(find_naming_conflicts(inputs, plan_output_paths(inputs, ratios, "out", true, kDefaultNameTemplate))
                  .empty());
}

TEST(NamingConflicts, AnOutputOnAnInputIsRefused) {
  const std::vector<InputFile> inputs{{"in/x.jpg", ""}};
  const auto conflicts =
      find_naming_conflicts(inputs, plan_output_paths(inputs, {parse_ratio("1:1")}, "in", true, "{stem}.{ext}"));
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_NE(conflicts[0].reason.find("would overwrite the input"), std::string::npos);
}

TEST(NamingConflicts, TwoRatiosWithoutRatioInTheName) {
  const std::vector<InputFile> inputs{{"x.jpg", ""}};
  const auto paths = plan_output_paths(inputs, {parse_ratio("1:1"), parse_ratio("4:5")}, "out", true, "{stem}.jpg");
  const auto conflicts = find_naming_conflicts(inputs, paths);
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_NE(conflicts[0].reason.find("{ratio}"), std::string::npos);
}

TEST(ParseOutputSize, WidthOnlyOrBoth) {
  EXPECT_EQ(parse_output_size("1280x720").width, 1280);
  EXPECT_EQ(parse_output_size("1280x720").height, 720);
  EXPECT_EQ(parse_output_size("640").height, 0);
  for (const char* bad : {"", "x720", "12x", "0x5", "-3", "12y4", "1280x720x3"}) {
    EXPECT_THROW(parse_output_size(bad), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace smartcrop

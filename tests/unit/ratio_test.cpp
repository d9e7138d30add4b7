#include "smartcrop/ratio.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

using smartcrop::parse_ratio;
using smartcrop::parse_ratio_list;

TEST(ParseRatio, AcceptsColonCrossAndDecimal) {
  EXPECT_DOUBLE_EQ(parse_ratio("16:9").value(), 16.0 / 9.0);
  EXPECT_DOUBLE_EQ(parse_ratio("4x5").value(), 0.8);
  EXPECT_DOUBLE_EQ(parse_ratio("4X5").value(), 0.8);
  EXPECT_DOUBLE_EQ(parse_ratio("1.91").value(), 1.91);
  EXPECT_DOUBLE_EQ(parse_ratio(" 3:2 ").value(), 1.5);
  EXPECT_DOUBLE_EQ(parse_ratio("1.5:1").value(), 1.5);
}

TEST(ParseRatio, LabelsAreFileNameSafe) {
  EXPECT_EQ(parse_ratio("16:9").label, "16x9");
  EXPECT_EQ(parse_ratio("4x5").label, "4x5");
  EXPECT_EQ(parse_ratio("1.91").label, "1.91");
}

TEST(ParseRatio, RejectsZeroNegativeAndGarbageWithTheTextInTheMessage) {
  for (const char* bad : {"16:0", "-1:2", "abc", "", ":", "16:", ":9", "0", "1:2:3", "nan", "inf", "1e400", "16;9"}) {
    try {
      parse_ratio(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos) << e.what();
    }
  }
}

TEST(ParseRatio, RejectsAbsurdRatios) {
  EXPECT_THROW(parse_ratio("1000:1"), std::invalid_argument);
  EXPECT_THROW(parse_ratio("1:1000"), std::invalid_argument);
}

TEST(ParseRatioList, SplitsOnCommas) {
  auto ratios = parse_ratio_list("16:9,1:1,4x5");
  ASSERT_EQ(ratios.size(), 3u);
  EXPECT_EQ(ratios[1].label, "1x1");
  EXPECT_THROW(parse_ratio_list("16:9,,1:1"), std::invalid_argument);
}

#include "smartcrop/score_map.hpp"

#include <gtest/gtest.h>

using namespace smartcrop;

TEST(BoxBlur, SumsACentredOddWindowWithZeroPadding) {
  ScoreMap map(5, 5);
  map.at(2, 2) = 1.0f;
  ScoreMap blurred = box_blur(map, 3);
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 5; ++x)
      EXPECT_FLOAT_EQ(blurred.at(x, y), (std::abs(x - 2) <= 1 && std::abs(y - 2) <= 1) ? 1.0f : 0.0f) << x << "," << y;
}

TEST(BoxBlur, EvenWindowIsWidenedSoThePeakDoesNotShift) {
  ScoreMap map(9, 1);
  map.at(4, 0) = 1.0f;
  ScoreMap blurred = box_blur(map, 2);  // becomes 3
  EXPECT_FLOAT_EQ(blurred.at(3, 0), 1.0f);
  EXPECT_FLOAT_EQ(blurred.at(4, 0), 1.0f);
  EXPECT_FLOAT_EQ(blurred.at(5, 0), 1.0f);
  EXPECT_FLOAT_EQ(blurred.at(2, 0), 0.0f);
  EXPECT_FLOAT_EQ(blurred.at(6, 0), 0.0f);
}

TEST(BoxBlur, PeakOfABlobIsItsCentreNotShiftedByHalfAWindow) {
  ScoreMap map(60, 40);
  for (int y = 20; y < 26; ++y)
    for (int x = 30; x < 36; ++x) map.at(x, y) = 1.0f;
  MapPeak peak = find_peak(box_blur(map, 31));
  // A 6x6 blob at 30..35: a 31 px window covers it wholly from any centre within
  // 12 px, so the first maximum is the leftmost/topmost full-cover centre.
  EXPECT_EQ(peak.x, 35 - 15);
  EXPECT_EQ(peak.y, 25 - 15);
  MapPeak sharp = find_peak(box_blur(map, 1));
  EXPECT_EQ(sharp.x, 30);
  EXPECT_EQ(sharp.y, 20);
}

TEST(BoxBlur, PreservesGeometry) {
  ScoreMap map(7, 3, 2.5, 4.0);
  ScoreMap blurred = box_blur(map, 5);
  EXPECT_EQ(blurred.width, 7);
  EXPECT_EQ(blurred.height, 3);
  EXPECT_DOUBLE_EQ(blurred.scale_x, 2.5);
  EXPECT_DOUBLE_EQ(blurred.scale_y, 4.0);
}

TEST(UpsampleNearest, RepeatsEachCellAndDividesTheScale) {
  ScoreMap map(2, 1, 32.0, 32.0);
  map.at(0, 0) = 1.0f;
  map.at(1, 0) = 2.0f;
  ScoreMap up = upsample_nearest(map, 16);
  ASSERT_EQ(up.width, 32);
  ASSERT_EQ(up.height, 16);
  EXPECT_FLOAT_EQ(up.at(15, 15), 1.0f);
  EXPECT_FLOAT_EQ(up.at(16, 0), 2.0f);
  EXPECT_DOUBLE_EQ(up.scale_x, 2.0);
}

TEST(FindPeak, TakesTheFirstMaximumInRowMajorOrder) {
  ScoreMap map(3, 3);
  map.at(2, 0) = 5.0f;
  map.at(0, 2) = 5.0f;
  MapPeak peak = find_peak(map);
  EXPECT_EQ(peak.x, 2);
  EXPECT_EQ(peak.y, 0);
  EXPECT_FLOAT_EQ(peak.value, 5.0f);
}

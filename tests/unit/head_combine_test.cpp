#include "smartcrop/head_attention.hpp"

#include <gtest/gtest.h>

using namespace smartcrop;

namespace {
HeadAttention two_heads() {
  // 2 heads on a 2x2 grid. Head 0 attends to patch 0; head 1 to patches 2 and 3.
  HeadAttention a;
  a.heads = 2;
  a.grid_width = 2;
  a.grid_height = 2;
  a.values = {0.70f, 0.10f, 0.10f, 0.10f,   // head 0
              0.05f, 0.05f, 0.45f, 0.45f};  // head 1
  return a;
}
}  // namespace

TEST(CombineHeads, CountsHeadsWhoseTopMassHoldsThePatch) {
  ScoreMap map = combine_heads(two_heads(), 0.3);
  // Head 0: top 30% of mass is patch 0 alone. Head 1: sorted cumsum 0.05, 0.10,
  // 0.55, 1.0 -> patches past 0.7 are the last one only (patch 3 by stable order).
  EXPECT_FLOAT_EQ(map.at(0, 0), 1.0f);
  EXPECT_FLOAT_EQ(map.at(1, 0), 0.0f);
  EXPECT_FLOAT_EQ(map.at(0, 1), 0.0f);
  EXPECT_FLOAT_EQ(map.at(1, 1), 1.0f);
}

TEST(CombineHeads, LargerThresholdKeepsMorePatches) {
  ScoreMap map = combine_heads(two_heads(), 0.6);
  // Head 0: cumsum over ascending 0.1,0.1,0.1,0.7 -> > 0.4 only the 0.7 patch.
  // Head 1: cumsum 0.05,0.10,0.55,1.0 -> > 0.4: both 0.45 patches.
  EXPECT_FLOAT_EQ(map.at(0, 0), 1.0f);
  EXPECT_FLOAT_EQ(map.at(0, 1), 1.0f);
  EXPECT_FLOAT_EQ(map.at(1, 1), 1.0f);
  EXPECT_FLOAT_EQ(map.at(1, 0), 0.0f);
}

TEST(CombineHeads, ZeroThresholdSumsRawAttention) {
  ScoreMap map = combine_heads(two_heads(), 0.0);
  EXPECT_FLOAT_EQ(map.at(0, 0), 0.75f);
  EXPECT_FLOAT_EQ(map.at(1, 1), 0.55f);
  EXPECT_EQ(map.width, 2);
  EXPECT_EQ(map.height, 2);
}

TEST(CombineHeads, AllZeroHeadGivesNoVotes) {
  HeadAttention a;
  a.heads = 1;
  a.grid_width = 3;
  a.grid_height = 1;
  a.values = {0.0f, 0.0f, 0.0f};
  EXPECT_DOUBLE_EQ(combine_heads(a, 0.3).total(), 0.0);
}

#include "mfsmaster/inode_ranges.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace mfs::master {
namespace {

TEST(InodeRanges, MergesAndSplits) {
  InodeRanges ranges;
  EXPECT_FALSE(ranges.lowest());
  ranges.insert_range(10, 20);
  ranges.insert(21);
  ranges.insert(5);
  EXPECT_EQ(ranges.lowest(), 5u);
  ranges.erase(5);
  EXPECT_EQ(ranges.lowest(), 10u);
  ranges.erase(15);
  EXPECT_TRUE(ranges.contains(14));
  EXPECT_FALSE(ranges.contains(15));
  EXPECT_TRUE(ranges.contains(21));
  ranges.insert(15);
  EXPECT_TRUE(ranges.contains(15));
}

TEST(InodeRanges, BehavesLikeASet) {
  std::mt19937 random(7);
  InodeRanges ranges;
  std::set<uint32_t> model;
  for (int step = 0; step < 20000; ++step) {
    uint32_t inode = random() % 300;
    if (random() % 2) {
      ranges.insert(inode);
      model.insert(inode);
    } else {
      ranges.erase(inode);
      model.erase(inode);
    }
    ASSERT_EQ(ranges.lowest().has_value(), !model.empty());
    if (!model.empty()) {
      ASSERT_EQ(*ranges.lowest(), *model.begin());
    }
    ASSERT_EQ(ranges.contains(inode), model.count(inode) == 1);
  }
}

TEST(InodeRanges, HugeRangeIsOneEntry) {
  InodeRanges ranges;
  ranges.insert_range(2, 0x7FFFFFEF);
  ranges.erase(2);
  EXPECT_EQ(ranges.lowest(), 3u);
}

}  // namespace
}  // namespace mfs::master

#include "mfsmaster/changed_inodes.h"

#include <gtest/gtest.h>

namespace mfs::master {
namespace {

TEST(ChangedInodesTest, TakeGivesEachMarkedInodeOnceInOrderAndEmpties) {
  ChangedInodes changed;
  for (uint32_t inode : {7u, 3u, 7u, 7u, 1u, 3u}) changed.mark(inode);
  EXPECT_EQ(changed.take(), (std::vector<uint32_t>{1, 3, 7}));
  EXPECT_TRUE(changed.take().empty());
}

TEST(ChangedInodesTest, RepeatedMarksOfFewNodesStayCompact) {
  ChangedInodes changed;
  for (uint32_t round = 0; round < 100000; ++round) changed.mark(round % 10);
  std::vector<uint32_t> taken = changed.take();
  EXPECT_EQ(taken.size(), 10u);
  EXPECT_LE(taken.capacity(), 4096u) << "marks of the same nodes were not compacted";
}

TEST(ChangedInodesTest, ManyMarksAreTakenInOrderByTheBitmapScan) {
  ChangedInodes changed;
  std::vector<uint32_t> expected;
  for (uint32_t inode = 200000; inode-- > 2;) {
    if (inode % 3 != 0) changed.mark(inode);
  }
  for (uint32_t inode = 2; inode < 200000; ++inode) {
    if (inode % 3 != 0) expected.push_back(inode);
  }
  EXPECT_EQ(changed.take(), expected);
  changed.mark(4000000000u);
  changed.mark(12);
  EXPECT_EQ(changed.take(), (std::vector<uint32_t>{12, 4000000000u}));
  EXPECT_TRUE(changed.take().empty());
}

TEST(ChangedInodesTest, ClearForgetsMarks) {
  ChangedInodes changed;
  changed.mark(5);
  changed.clear();
  EXPECT_TRUE(changed.take().empty());
}

}  // namespace
}  // namespace mfs::master

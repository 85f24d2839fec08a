#include "mfsmaster/maintained_copies.h"

#include <gtest/gtest.h>

namespace mfs::master {
namespace {

TEST(MaintainedCopies, CopiesCountUntilTheServerReturns) {
  MaintainedCopies maintained;
  maintained.server_left(1, 2000, {10, 11});
  maintained.server_left(2, 2000, {11});
  EXPECT_EQ(maintained.count(10), 1u);
  EXPECT_EQ(maintained.count(11), 2u);
  EXPECT_EQ(maintained.count(12), 0u);
  maintained.server_back(1);
  EXPECT_EQ(maintained.count(10), 0u);
  EXPECT_EQ(maintained.count(11), 1u);
}

TEST(MaintainedCopies, CopiesCountUntilTheMaintenanceEnds) {
  MaintainedCopies maintained;
  maintained.server_left(1, 2000, {10});
  maintained.server_left(2, 3000, {10});
  EXPECT_EQ(maintained.expire(1999), 0u);
  EXPECT_EQ(maintained.count(10), 2u);
  EXPECT_EQ(maintained.expire(2000), 1u);
  EXPECT_EQ(maintained.count(10), 1u);
  EXPECT_EQ(maintained.expire(5000), 1u);
  EXPECT_EQ(maintained.count(10), 0u);
}

TEST(MaintainedCopies, LeavingAgainReplacesTheOldList) {
  MaintainedCopies maintained;
  maintained.server_left(1, 2000, {10});
  maintained.server_left(1, 4000, {11});
  EXPECT_EQ(maintained.count(10), 0u);
  EXPECT_EQ(maintained.count(11), 1u);
  EXPECT_EQ(maintained.expire(3000), 0u);
}

}  // namespace
}  // namespace mfs::master

#include "mfsmaster/atime_policy.h"

#include <gtest/gtest.h>

namespace mfs::master {
namespace {

Node node_with_times(uint32_t atime, uint32_t mtime, uint32_t ctime) {
  Node node;
  node.inode = 42;
  node.atime = atime;
  node.mtime = mtime;
  node.ctime = ctime;
  return node;
}

TEST(AtimePolicy, ModesForFilesAndOthers) {
  Node fresh = node_with_times(1000, 900, 900);  // read after its last change: relatime says no
  Node stale = node_with_times(900, 1000, 1000);  // changed since the last read
  const uint32_t now = 2000;
  for (bool file : {true, false}) {
    EXPECT_TRUE(atime_update_due(0, fresh, now, file));
    EXPECT_FALSE(atime_update_due(4, stale, now, file));
    EXPECT_TRUE(atime_update_due(2, stale, now, file));
    EXPECT_FALSE(atime_update_due(2, fresh, now, file));
  }
  EXPECT_TRUE(atime_update_due(1, fresh, now, true));
  EXPECT_FALSE(atime_update_due(1, stale, now, false));
  EXPECT_TRUE(atime_update_due(3, stale, now, true));
  EXPECT_FALSE(atime_update_due(3, stale, now, false));
}

TEST(AtimePolicy, RelatimeRefreshesAfterADay) {
  Node fresh = node_with_times(1000, 900, 900);
  EXPECT_FALSE(atime_update_due(2, fresh, 1000 + kRelatimeWindow, false));
  EXPECT_TRUE(atime_update_due(2, fresh, 1001 + kRelatimeWindow, false));
}

TEST(AtimePolicy, AccessEntryAsTheRealMasterLogsIt) {
  Node stale = node_with_times(900, 1000, 1000);
  std::optional<ChangelogEntry> entry = access_entry(2, stale, 1234);
  ASSERT_TRUE(entry);
  EXPECT_EQ(format_changelog_line(*entry), "0: 1234|ACCESS(42)\n");  // the id is set when logged
  EXPECT_FALSE(access_entry(4, stale, 1234));
}

}  // namespace
}  // namespace mfs::master

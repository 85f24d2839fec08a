// The change log files: "VERSION: TEXT" lines, written at flush; rotation; a gap deletes
// every file and forgets the last version.
#include "mfsmetalogger/changelog_store.h"

#include <gtest/gtest.h>

#include "mfsmetalogger/tests/test_dir.h"

namespace mfs::ml {
namespace {

using testing::TestDir;
using Files = std::set<std::string>;

TEST(ChangelogStore, AppendsLinesWrittenAtFlush) {
  TestDir dir("changelog_store_append");
  dir.write("changelog_ml.0.mfs", "7: earlier\n");  // kept: the file is opened for appending
  ChangelogStore store(dir.str(), 5);
  EXPECT_FALSE(store.last_version());
  EXPECT_FALSE(store.append(10, "1796609971|CREATE(1,a.txt,1,438,18,0,0,0):2"));
  EXPECT_FALSE(store.append(11, "1796609971|ACQUIRE(1,2)"));
  EXPECT_EQ(store.last_version(), 11u);
  store.flush();
  EXPECT_EQ(dir.read("changelog_ml.0.mfs"),
            "7: earlier\n10: 1796609971|CREATE(1,a.txt,1,438,18,0,0,0):2\n11: 1796609971|ACQUIRE(1,2)\n");
}

TEST(ChangelogStore, RotationShiftsFilesAndDropsTheOldest) {
  TestDir dir("changelog_store_rotate");
  ChangelogStore store(dir.str(), 5);
  for (uint64_t version = 1; version <= 7; ++version) {
    EXPECT_FALSE(store.append(version, "x"));
    store.rotate();
  }
  // Seven rotations with BACK_LOGS 5: entries 3..7 are in .5 ... .1, no .0 until the next entry.
  EXPECT_EQ(dir.files(), (Files{"changelog_ml.1.mfs", "changelog_ml.2.mfs", "changelog_ml.3.mfs",
                                "changelog_ml.4.mfs", "changelog_ml.5.mfs"}));
  EXPECT_EQ(dir.read("changelog_ml.1.mfs"), "7: x\n");
  EXPECT_EQ(dir.read("changelog_ml.5.mfs"), "3: x\n");
  EXPECT_FALSE(store.append(8, "y"));
  store.flush();
  EXPECT_EQ(dir.read("changelog_ml.0.mfs"), "8: y\n");
}

TEST(ChangelogStore, GapDeletesEveryFileAndStartsAfresh) {
  TestDir dir("changelog_store_gap");
  ChangelogStore store(dir.str(), 5);
  dir.write("metadata_ml.mfs.back", "kept");
  EXPECT_FALSE(store.append(1, "a"));
  store.rotate();
  EXPECT_FALSE(store.append(2, "b"));
  auto gap = store.append(5, "c");
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->last, 2u);
  EXPECT_EQ(gap->received, 5u);
  EXPECT_FALSE(store.last_version());
  EXPECT_EQ(dir.files(), Files{"metadata_ml.mfs.back"});
  // The next connection's stream starts anywhere.
  EXPECT_FALSE(store.append(100, "d"));
  store.flush();
  EXPECT_EQ(dir.read("changelog_ml.0.mfs"), "100: d\n");
}

TEST(ChangelogStore, RepeatedVersionIsAGap) {
  TestDir dir("changelog_store_repeat");
  ChangelogStore store(dir.str(), 5);
  EXPECT_FALSE(store.append(3, "a"));
  EXPECT_TRUE(store.append(3, "a"));
}

}  // namespace
}  // namespace mfs::ml

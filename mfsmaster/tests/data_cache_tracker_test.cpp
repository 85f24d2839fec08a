// DataCacheTracker: KEEPCACHE only while nobody else changed the file since the session's
// last access, and bounded memory that forgets towards "not granted".
#include "mfsmaster/data_cache_tracker.h"

#include <gtest/gtest.h>

namespace mfs::master {
namespace {

constexpr uint32_t kFile = 7;
constexpr uint32_t kA = 1, kB = 2;

TEST(DataCacheTrackerTest, TheFirstOpenIsNotGrantedTheNextIs) {
  DataCacheTracker tracker;
  EXPECT_FALSE(tracker.opened(kFile, kA));
  EXPECT_TRUE(tracker.opened(kFile, kA));
  EXPECT_TRUE(tracker.may_keep(kFile, kA));
  EXPECT_FALSE(tracker.may_keep(kFile, kB));
}

TEST(DataCacheTrackerTest, AnotherSessionsChangeRevokesUntilTheNextOpen) {
  DataCacheTracker tracker;
  tracker.opened(kFile, kA);
  tracker.opened(kFile, kB);
  tracker.modified(kFile, kB);
  EXPECT_FALSE(tracker.may_keep(kFile, kA));
  EXPECT_FALSE(tracker.opened(kFile, kA));
  EXPECT_TRUE(tracker.opened(kFile, kA));
  EXPECT_TRUE(tracker.opened(kFile, kB)) << "the writer's own change spoiled its cache";
}

TEST(DataCacheTrackerTest, OwnChangesDoNotRepairACacheThatWasAlreadyStale) {
  DataCacheTracker tracker;
  tracker.opened(kFile, kA);
  tracker.opened(kFile, kB);
  tracker.modified(kFile, kB);
  tracker.modified(kFile, kA);
  EXPECT_FALSE(tracker.opened(kFile, kA));
}

TEST(DataCacheTrackerTest, CreationForgetsEarlierViewsOfTheInodeNumber) {
  DataCacheTracker tracker;
  tracker.opened(kFile, kA);
  tracker.opened(kFile, kA);
  tracker.created(kFile, kB);
  EXPECT_FALSE(tracker.opened(kFile, kA));
  EXPECT_TRUE(tracker.opened(kFile, kB));
}

TEST(DataCacheTrackerTest, TheLeastRecentlyUsedFileIsForgotten) {
  DataCacheTracker tracker(2);
  tracker.opened(1, kA);
  tracker.opened(2, kA);
  tracker.opened(1, kA);  // 2 is now the least recently used
  tracker.opened(3, kA);
  EXPECT_EQ(tracker.tracked_files(), 2u);
  EXPECT_TRUE(tracker.may_keep(1, kA));
  EXPECT_FALSE(tracker.may_keep(2, kA));
  EXPECT_TRUE(tracker.may_keep(3, kA));
}

TEST(DataCacheTrackerTest, SessionsPerFileAreBounded) {
  DataCacheTracker tracker;
  for (uint32_t session = 1; session <= DataCacheTracker::kMaxSessionsPerFile + 1; ++session) {
    tracker.opened(kFile, session);
  }
  EXPECT_FALSE(tracker.may_keep(kFile, 1)) << "the oldest view was kept beyond the bound";
  EXPECT_TRUE(tracker.may_keep(kFile, DataCacheTracker::kMaxSessionsPerFile + 1));
}

TEST(DataCacheTrackerTest, ChangesOfUntrackedFilesAreNotRemembered) {
  DataCacheTracker tracker;
  tracker.modified(kFile, kA);
  EXPECT_EQ(tracker.tracked_files(), 0u);
}

}  // namespace
}  // namespace mfs::master

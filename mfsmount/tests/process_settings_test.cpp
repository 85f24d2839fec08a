#include "mfsmount/process_settings.h"

#include <gtest/gtest.h>

#include <vector>

namespace mfs::mount {
namespace {

TEST(ProcessSettingsTest, OpenFilesLimitIsHalvedUntilAccepted) {
  std::vector<uint64_t> asked;
  auto under_hard_limit = [&](uint64_t value) {
    asked.push_back(value);
    return value <= 20000;
  };
  EXPECT_EQ(settle_open_files_limit(100000, under_hard_limit), 12500u);  // as 3.0.117 under a 20000 hard limit
  EXPECT_EQ(asked, (std::vector<uint64_t>{100000, 50000, 25000, 12500}));
  EXPECT_EQ(settle_open_files_limit(5000, under_hard_limit), 5000u);
  EXPECT_EQ(settle_open_files_limit(10, [](uint64_t) { return false; }), 0u);
}

TEST(ProcessSettingsTest, MemoryIsLockedOnlyWhenTheLimitCouldBeRaised) {
  int locks = 0;
  auto lock = [&] {
    ++locks;
    return true;
  };
  EXPECT_EQ(lock_memory([] { return false; }, lock), MemoryLock::kLimitRefused);  // as 3.0.117: no mlockall then
  EXPECT_EQ(locks, 0);
  EXPECT_EQ(lock_memory([] { return true; }, lock), MemoryLock::kLocked);
  EXPECT_EQ(locks, 1);
  EXPECT_EQ(lock_memory([] { return true; }, [] { return false; }), MemoryLock::kLockFailed);
}

}  // namespace
}  // namespace mfs::mount

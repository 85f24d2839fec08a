#include "mfsmount/symlink_cache.h"

#include <gtest/gtest.h>

namespace mfs::mount {
namespace {

using namespace std::chrono_literals;
using Clock = SymlinkCache::Clock;

TEST(SymlinkCacheTest, TargetsAreKeptForTheTimeout) {
  SymlinkCache cache(300.0);
  Clock::time_point now = Clock::now();
  EXPECT_EQ(cache.target(5, now), std::nullopt);
  cache.remember(5, "../a/b", now);
  EXPECT_EQ(cache.target(5, now + 299s), std::optional<std::string>("../a/b"));
  EXPECT_EQ(cache.target(5, now + 300s), std::nullopt);
}

TEST(SymlinkCacheTest, ATimeoutOfZeroKeepsNothing) {
  SymlinkCache cache(0.0);
  Clock::time_point now = Clock::now();
  cache.remember(5, "x", now);
  EXPECT_EQ(cache.target(5, now), std::nullopt);
}

TEST(SymlinkCacheTest, ManyTargetsKeepTheFreshOnes) {
  SymlinkCache cache(1.0);
  Clock::time_point now = Clock::now();
  for (uint32_t inode = 1; inode <= 70000; ++inode) cache.remember(inode, "t", now);
  cache.remember(99999, "fresh", now + 2s);
  EXPECT_EQ(cache.target(99999, now + 2s), std::optional<std::string>("fresh"));
  EXPECT_EQ(cache.target(1, now + 2s), std::nullopt);
}

}  // namespace
}  // namespace mfs::mount

#include "mfsmount/xattr_cache.h"

#include <gtest/gtest.h>

namespace mfs::mount {
namespace {

using std::chrono::milliseconds;
using Bytes = std::vector<uint8_t>;

const Credentials kRoot{0, {0}};
const Credentials kNobody{65534, {65534}};

TEST(XattrCacheTest, ValuesAndAbsenceAreKeptUntilTheTimeout) {
  XattrCache cache(2.0);
  XattrCache::Clock::time_point now{};
  cache.remember(7, "user.a", kRoot, Bytes{'1'}, now);
  cache.remember(7, "user.z", kRoot, std::nullopt, now);
  EXPECT_EQ(cache.find(7, "user.a", kRoot, now + milliseconds(1999)), XattrCache::Answer(Bytes{'1'}));
  std::optional<XattrCache::Answer> absent = cache.find(7, "user.z", kRoot, now);
  ASSERT_TRUE(absent);
  EXPECT_FALSE(*absent);
  EXPECT_FALSE(cache.find(7, "user.b", kRoot, now));  // never asked
  EXPECT_FALSE(cache.find(8, "user.a", kRoot, now));  // another inode
  EXPECT_FALSE(cache.find(7, "user.a", kRoot, now + milliseconds(2000)));
}

TEST(XattrCacheTest, EachUserHasItsOwnAnswers) {
  XattrCache cache(30.0);
  XattrCache::Clock::time_point now{};
  cache.remember(7, "user.a", kRoot, Bytes{'1'}, now);
  EXPECT_FALSE(cache.find(7, "user.a", kNobody, now));  // 3.0.117 asks the master for another user
  cache.remember(7, "user.a", kNobody, Bytes{'2'}, now + milliseconds(10));
  EXPECT_EQ(cache.find(7, "user.a", kRoot, now + milliseconds(20)), XattrCache::Answer(Bytes{'1'}));
  EXPECT_EQ(cache.find(7, "user.a", kNobody, now + milliseconds(20)), XattrCache::Answer(Bytes{'2'}));
  EXPECT_FALSE(cache.find(7, "user.a", Credentials{0, {0, 5}}, now));  // other groups: another asker
  EXPECT_FALSE(cache.find(7, "user.a", kRoot, now + milliseconds(30000)));  // root's expired first
  EXPECT_TRUE(cache.find(7, "user.a", kNobody, now + milliseconds(30000)));
}

TEST(XattrCacheTest, ForgetDropsOneNameForEveryone) {
  XattrCache cache(30.0);
  cache.remember(7, "user.a", kRoot, Bytes{'1'});
  cache.remember(7, "user.a", kNobody, Bytes{'1'});
  cache.remember(7, "user.b", kRoot, Bytes{'2'});
  cache.forget(7, "user.a");
  EXPECT_FALSE(cache.find(7, "user.a", kRoot));
  EXPECT_FALSE(cache.find(7, "user.a", kNobody));
  EXPECT_TRUE(cache.find(7, "user.b", kRoot));
}

TEST(XattrCacheTest, ChangesHereAsThe3_0_117Client) {
  XattrCache cache(30.0);
  cache.remember(7, "user.a", kRoot, Bytes{'1'});
  cache.remember(7, "user.a", kNobody, Bytes{'1'});
  cache.set_by(7, "user.a", kRoot, Bytes{'3'});  // the setter's answer, the others' go
  EXPECT_EQ(cache.find(7, "user.a", kRoot), XattrCache::Answer(Bytes{'3'}));
  EXPECT_FALSE(cache.find(7, "user.a", kNobody));
  cache.remember(7, "user.a", kNobody, Bytes{'3'});
  cache.removed_by(7, "user.a", kRoot);  // the remover's answer only
  std::optional<XattrCache::Answer> removed = cache.find(7, "user.a", kRoot);
  ASSERT_TRUE(removed);
  EXPECT_FALSE(*removed);
  EXPECT_EQ(cache.find(7, "user.a", kNobody), XattrCache::Answer(Bytes{'3'}));
}

TEST(XattrCacheTest, ZeroTimeoutKeepsNothing) {
  XattrCache cache(0.0);
  EXPECT_FALSE(cache.enabled());
  cache.remember(7, "user.a", kRoot, Bytes{'1'});
  EXPECT_FALSE(cache.find(7, "user.a", kRoot));
}

}  // namespace
}  // namespace mfs::mount

#include "mfsmount/open_grants.h"

#include <gtest/gtest.h>

namespace mfs::mount {
namespace {

using namespace std::chrono_literals;
using Clock = OpenGrants::Clock;

TEST(OpenGrantsTest, AGrantIsTakenOnceBySameCallerWhileFresh) {
  OpenGrants grants;
  Clock::time_point now = Clock::now();
  Caller caller{100, 1000, 1000};
  grants.note(7, caller, 0x00FF, now);
  EXPECT_EQ(grants.take(7, caller, now + 10ms), std::optional<uint16_t>(0x00FF));
  EXPECT_EQ(grants.take(7, caller, now + 10ms), std::nullopt);
}

TEST(OpenGrantsTest, OtherCallersAndStaleGrantsGetNothing) {
  OpenGrants grants;
  Clock::time_point now = Clock::now();
  grants.note(7, Caller{100, 1000, 1000}, 0x00FF, now);
  EXPECT_EQ(grants.take(7, Caller{101, 1000, 1000}, now), std::nullopt);  // another process
  EXPECT_EQ(grants.take(7, Caller{100, 0, 1000}, now), std::nullopt);     // another user
  EXPECT_EQ(grants.take(8, Caller{100, 1000, 1000}, now), std::nullopt);
  EXPECT_EQ(grants.take(7, Caller{100, 1000, 1000}, now + OpenGrants::kFresh), std::nullopt);
}

TEST(OpenGrantsTest, ManyLookupsKeepTheFreshGrants) {
  OpenGrants grants;
  Clock::time_point now = Clock::now();
  for (uint32_t inode = 1; inode <= 5000; ++inode) grants.note(inode, Caller{1, 0, 0}, 1, now);
  grants.note(9999, Caller{1, 0, 0}, 2, now + 2s);  // prunes the stale ones
  EXPECT_EQ(grants.take(9999, Caller{1, 0, 0}, now + 2s), std::optional<uint16_t>(2));
  EXPECT_EQ(grants.take(1, Caller{1, 0, 0}, now + 2s), std::nullopt);
}

}  // namespace
}  // namespace mfs::mount
